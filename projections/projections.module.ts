import { type BeforeApplicationShutdown, Global, Injectable, Module, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '../src/core/event-store.js';
import { READ_MODEL_HISTORY } from '../src/core/read-model-history.js';
import { READ_MODEL_PROGRESS } from '../src/core/read-model-progress.js';
import { READ_STORE, type ReadStore } from '../src/core/read-store.js';
import { SETTINGS, type Settings } from '../src/config/settings.js';
import { ProjectionHistory } from './history.js';
import { projectionsFor } from './index.js';
import { ProjectionRunner } from './runner.js';

/** Read-model collections exist before anything starts; projections follow the log while the app runs. */
@Injectable()
class ProjectionsLifecycle implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(private readonly runner: ProjectionRunner) {}

  async onModuleInit(): Promise<void> {
    await this.runner.prepare();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
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
    ProjectionsLifecycle,
  ],
  exports: [ProjectionRunner, READ_MODEL_PROGRESS, READ_MODEL_HISTORY],
})
export class ProjectionsModule {}
