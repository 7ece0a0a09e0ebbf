import { join } from 'node:path';
import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { PROJECTIONS } from '../../projections/index.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { SETTINGS, type Settings } from '../config/settings.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { READ_STORE, type ReadStore } from '../core/read-store.js';
import { EsdbEventStore } from './eventstoredb/esdb-event-store.js';
import { MongoReadStore } from './mongodb/mongo-read-store.js';
import { SqliteEventStore } from './sqlite/sqlite-event-store.js';
import { SqliteReadStore } from './sqlite/sqlite-read-store.js';

export function openEventStore(settings: Settings): EventStore {
  return settings.eventStoreUrl ? new EsdbEventStore(settings.eventStoreUrl) : new SqliteEventStore(join(settings.dataDir, 'events.db'));
}

export function openReadStore(settings: Settings): ReadStore {
  return settings.mongoUrl ? new MongoReadStore(settings.mongoUrl) : new SqliteReadStore(join(settings.dataDir, 'read-models.db'));
}

/** Starts the projections with the app and closes the stores after it. */
@Injectable()
class StoresLifecycle implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly runner: ProjectionRunner,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.runner.prepare();
  }

  async onApplicationBootstrap(): Promise<void> {
    const where = (url: string | undefined, name: string) => (url ? name : `embedded SQLite in ${this.settings.dataDir}`);
    new Logger('Stores').log(
      `Event store: ${where(this.settings.eventStoreUrl, 'EventStoreDB')}; read store: ${where(this.settings.mongoUrl, 'MongoDB')}`,
    );
    await this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
    await this.events.close();
    await this.reads.close();
  }
}

@Global()
@Module({})
export class StoresModule {
  static forRoot(settings: Settings): DynamicModule {
    return {
      module: StoresModule,
      providers: [
        { provide: SETTINGS, useValue: settings },
        { provide: EVENT_STORE, useFactory: () => openEventStore(settings) },
        { provide: READ_STORE, useFactory: () => openReadStore(settings) },
        {
          provide: ProjectionRunner,
          useFactory: (events: EventStore, reads: ReadStore) => new ProjectionRunner(events, reads, PROJECTIONS),
          inject: [EVENT_STORE, READ_STORE],
        },
        StoresLifecycle,
      ],
      exports: [SETTINGS, EVENT_STORE, READ_STORE, ProjectionRunner],
    };
  }
}
