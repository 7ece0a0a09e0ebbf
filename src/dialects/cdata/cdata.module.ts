import { Module } from '@nestjs/common';
import { CDataConnectionsController } from './connections.controller.js';
import { CDataJobsController } from './jobs.controller.js';
import { CDataTasksController } from './tasks.controller.js';

@Module({ controllers: [CDataConnectionsController, CDataJobsController, CDataTasksController] })
export class CDataModule {}
