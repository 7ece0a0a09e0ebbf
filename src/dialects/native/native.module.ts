import { Module } from '@nestjs/common';
import { ReadStreamEventsHandler } from '../../streams/streams.queries.js';
import { StreamsController } from './streams.controller.js';

@Module({ controllers: [StreamsController], providers: [ReadStreamEventsHandler] })
export class NativeModule {}
