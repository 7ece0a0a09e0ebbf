import { Module } from '@nestjs/common';
import { ReadStreamEventsHandler } from '../../streams/streams.queries.js';
import { TailsModule } from '../../tails/tails.module.js';
import { RunsController } from './runs.controller.js';
import { StreamsController } from './streams.controller.js';
import { TailsController } from './tails.controller.js';

@Module({ imports: [TailsModule], controllers: [StreamsController, RunsController, TailsController], providers: [ReadStreamEventsHandler] })
export class NativeModule {}
