import { Module } from '@nestjs/common';
import { ReadStreamEventsHandler } from '../../streams/streams.queries.js';
import { LogsController } from './logs.controller.js';
import { RunsController } from './runs.controller.js';
import { StreamsController } from './streams.controller.js';

@Module({ controllers: [StreamsController, RunsController, LogsController], providers: [ReadStreamEventsHandler] })
export class NativeModule {}
