import { Module } from '@nestjs/common';
import { SirenConnectorController } from './connector.controller.js';
import { SirenJobsController } from './jobs.controller.js';

@Module({ controllers: [SirenConnectorController, SirenJobsController] })
export class SirenModule {}
