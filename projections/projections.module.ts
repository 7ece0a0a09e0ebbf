import { type BeforeApplicationShutdown, Global, Injectable, Module, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '../src/core/event-store.js';
import { READ_MODEL_HISTORY } from '../src/core/read-model-history.js';
import { READ_MODEL_PROGRESS } from '../src/core/read-model-progress.js';
import { READ_STORE, type ReadStore } from '../src/core/read-store.js';
import { SETTINGS, type Settings } from '../src/config/settings.js';
import { REPLAYS } from '../src/core/replays.js';
import { ProjectionHistory } from './history.js';
import { projectionsFor } from './index.js';
import { ReplayService } from './replay-service.js';
import { ProjectionRunner } from './runner.js';

/** Read-model collections exist before anything starts; projections follow the log while the app runs. */
@Injectable()
class ProjectionsLifecycle implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly runner: ProjectionRunner,
    private readonly replays: ReplayService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.runner.prepare();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.replays.stop();
    await this.runner.stop();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: ProjectionRunner,
      useFactory: (events: EventStore, reads: ReadStore, settings: Settings) => new ProjectionRunner(events, reads, projectionsFor(settings)),
      inject: [EVENT_STORE, READ_STORE, SETTINGS],
    },
    { provide: READ_MODEL_PROGRESS, useExisting: ProjectionRunner },
    {
      provide: READ_MODEL_HISTORY,
      useFactory: (events: EventStore, runner: ProjectionRunner) => new ProjectionHistory(events, runner.projections),
      inject: [EVENT_STORE, ProjectionRunner],
    },
    {
      provide: ReplayService,
      // The same projections (as the settings shape them) as the live runner's.
      useFactory: (events: EventStore, reads: ReadStore, runner: ProjectionRunner) => new ReplayService(events, reads, runner.projections),
      inject: [EVENT_STORE, READ_STORE, ProjectionRunner],
    },
    { provide: REPLAYS, useExisting: ReplayService },
    ProjectionsLifecycle,
  ],
  exports: [ProjectionRunner, READ_MODEL_PROGRESS, READ_MODEL_HISTORY, REPLAYS],
})
export class ProjectionsModule {}
