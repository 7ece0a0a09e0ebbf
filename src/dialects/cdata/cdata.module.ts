import { Module } from '@nestjs/common';
import { CDataConnectionsController } from './connections.controller.js';
import { CDataJobsController } from './jobs.controller.js';
import { CDataRunsController } from './runs.controller.js';
import { CDataTasksController } from './tasks.controller.js';

@Module({ controllers: [CDataConnectionsController, CDataJobsController, CDataRunsController, CDataTasksController] })
export class CDataModule {}
