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
} from '@nestjs/common';
import { SETTINGS, type Settings } from '../config/settings.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { FILE_STORE, type FileStore } from '../core/file-store.js';
import { READ_STORE, type ReadStore } from '../core/read-store.js';
import { type AnyUpcaster, EventSchemas } from '../core/upcasters.js';
import { UpcastingEventStore } from '../core/upcasting-event-store.js';
import { EsdbEventStore } from './eventstoredb/esdb-event-store.js';
import { DirectoryFileStore } from './files/directory-file-store.js';
import { GridFsFileStore } from './mongodb/gridfs-file-store.js';
import { MongoReadStore } from './mongodb/mongo-read-store.js';
import { SqliteEventStore } from './sqlite/sqlite-event-store.js';
import { SqliteReadStore } from './sqlite/sqlite-read-store.js';

/** The configured event store, behind the upcasters: every reader gets events in their current shape. */
export function openEventStore(settings: Settings, upcasters: readonly AnyUpcaster[]): EventStore {
  const store = settings.eventStoreUrl ? new EsdbEventStore(settings.eventStoreUrl) : new SqliteEventStore(join(settings.dataDir, 'events.db'));
  return new UpcastingEventStore(store, new EventSchemas(upcasters));
}

export function openReadStore(settings: Settings): ReadStore {
  return settings.mongoUrl ? new MongoReadStore(settings.mongoUrl) : new SqliteReadStore(join(settings.dataDir, 'read-models.db'));
}

export function openFileStore(settings: Settings): FileStore {
  return settings.mongoUrl ? new GridFsFileStore(settings.mongoUrl) : new DirectoryFileStore(join(settings.dataDir, 'files'));
}

/** Says which stores are in use, and closes them after everything else has stopped. */
@Injectable()
class StoresLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(FILE_STORE) private readonly files: FileStore,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const where = (url: string | undefined, name: string) => (url ? name : `embedded SQLite in ${this.settings.dataDir}`);
    new Logger('Stores').log(
      `Event store: ${where(this.settings.eventStoreUrl, 'EventStoreDB')}; read store: ${where(this.settings.mongoUrl, 'MongoDB')}`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.events.close();
    await this.reads.close();
    await this.files.close();
  }
}

@Global()
@Module({})
export class StoresModule {
  static forRoot(settings: Settings, upcasters: readonly AnyUpcaster[]): DynamicModule {
    return {
      module: StoresModule,
      providers: [
        { provide: SETTINGS, useValue: settings },
        { provide: EVENT_STORE, useFactory: () => openEventStore(settings, upcasters) },
        { provide: READ_STORE, useFactory: () => openReadStore(settings) },
        { provide: FILE_STORE, useFactory: () => openFileStore(settings) },
        StoresLifecycle,
      ],
      exports: [SETTINGS, EVENT_STORE, READ_STORE, FILE_STORE],
    };
  }
}
