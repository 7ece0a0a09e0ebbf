import { Module } from '@nestjs/common';
import { JitsuTasksController } from './tasks.controller.js';

@Module({ controllers: [JitsuTasksController] })
export class JitsuModule {}
