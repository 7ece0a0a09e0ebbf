import { Module } from '@nestjs/common';
import { AuthEventsController } from './auth-events.controller.js';
import { ReadStreamEventsHandler } from '../../streams/streams.queries.js';
import { ConnectionsController } from './connections.controller.js';
import { JobsController } from './jobs.controller.js';
import { MeController } from './me.controller.js';
import { RunsController } from './runs.controller.js';
import { StreamsController } from './streams.controller.js';
import { TokensController } from './tokens.controller.js';
import { UsersController } from './users.controller.js';

@Module({
  controllers: [StreamsController, RunsController, JobsController, ConnectionsController, AuthEventsController, UsersController, TokensController, MeController],
  providers: [ReadStreamEventsHandler],
})
export class NativeModule {}
