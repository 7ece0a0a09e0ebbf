import { Module } from '@nestjs/common';
import { ReadStreamEventsHandler } from '../../streams/streams.queries.js';
import { MeController } from './me.controller.js';
import { RunsController } from './runs.controller.js';
import { StreamsController } from './streams.controller.js';
import { TokensController } from './tokens.controller.js';
import { UsersController } from './users.controller.js';

@Module({ controllers: [StreamsController, RunsController, UsersController, TokensController, MeController], providers: [ReadStreamEventsHandler] })
export class NativeModule {}
