import { Module } from '@nestjs/common';
import { ReadStreamEventsHandler } from '../../streams/streams.queries.js';
import { ConnectionsController } from './connections.controller.js';
import { JobsController } from './jobs.controller.js';
import { RunsController } from './runs.controller.js';
import { StreamsController } from './streams.controller.js';

@Module({ controllers: [StreamsController, RunsController, JobsController, ConnectionsController], providers: [ReadStreamEventsHandler] })
export class NativeModule {}
