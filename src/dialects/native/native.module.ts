import { Module } from '@nestjs/common';
import { AuthEventsController } from './auth-events.controller.js';
import { ReadStreamEventsHandler } from '../../streams/streams.queries.js';
import { ConnectionsController } from './connections.controller.js';
import { DataSyncsController } from './datasyncs.controller.js';
import { JobsController } from './jobs.controller.js';
import { MeController } from './me.controller.js';
import { LogsController } from './logs.controller.js';
import { AdminController } from './admin.controller.js';
import { RunsController } from './runs.controller.js';
import { StreamsController } from './streams.controller.js';
import { TailsController } from './tails.controller.js';
import { TokensController } from './tokens.controller.js';
import { UsersController } from './users.controller.js';
import { TailsModule } from '../../tails/tails.module.js';

@Module({
  imports: [TailsModule],
  controllers: [
    StreamsController,
    RunsController,
    JobsController,
    ConnectionsController,
    AuthEventsController,
    UsersController,
    TokensController,
    MeController,
    TailsController,
    LogsController,
    AdminController,
    DataSyncsController,
  ],
  providers: [ReadStreamEventsHandler],
})
export class NativeModule {}
