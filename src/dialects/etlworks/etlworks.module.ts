import { Module } from '@nestjs/common';
import { EtlworksAuthController } from './auth.controller.js';
import { EtlworksFlowsController } from './flows.controller.js';
import { EtlworksTasksController } from './tasks.controller.js';

@Module({ controllers: [EtlworksAuthController, EtlworksTasksController, EtlworksFlowsController] })
export class EtlworksModule {}
