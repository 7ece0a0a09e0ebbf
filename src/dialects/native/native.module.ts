import { Module } from '@nestjs/common';
import { ReadStreamEventsHandler } from '../../streams/streams.queries.js';
import { AdminController } from './admin.controller.js';
import { RunsController } from './runs.controller.js';
import { StreamsController } from './streams.controller.js';

@Module({ controllers: [StreamsController, RunsController, AdminController], providers: [ReadStreamEventsHandler] })
export class NativeModule {}
