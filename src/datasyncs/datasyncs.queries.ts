import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DomainError } from '../core/errors.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { loadDataSync } from './datasyncs.commands.js';
import { type Filter, type Page, READ_STORE, type ReadStore } from '../core/read-store.js';
import { READ_MODEL_PROGRESS, type ReadModelProgress, readYourWrite } from '../core/read-model-progress.js';
import { type JobDoc, JOBS } from '../jobs/jobs.read-model.js';
import { type RunDoc, RUNS } from '../runs/runs.read-model.js';
import { type DataSyncKind, exportFile, KIND_OF } from './datasync.model.js';

/** A data sync as its read models have it: the job, what it loads and its latest launch. */
export interface DataSyncView {
  id: string;
  kind: DataSyncKind;
  job: JobDoc;
  table: string;
  keyColumns: string[] | null;
  connectionId: string | null;
  latestLaunch: RunDoc | null;
}

export class GetDataSync extends Query<DataSyncView> {
  constructor(
    readonly id: string,
    /** A write's position the answer must reflect. */
    readonly after?: string,
  ) {
    super();
  }
}

/** Data syncs, oldest first, each with its latest launch. */
export class ListDataSyncs extends Query<Page<DataSyncView>> {
  constructor(
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}

/** A data sync's launches, newest first. */
export class DataSyncLaunches extends Query<Page<RunDoc>> {
  constructor(
    readonly id: string,
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}

/** One launch of a data sync by its number, with the file it imported or exported; LAUNCH.NOT_FOUND otherwise. */
export class LaunchFile extends Query<{ run: RunDoc; file: string | null }> {
  constructor(
    readonly id: string,
    /** A launch number, or `latest-export` for the latest successful export. */
    readonly launch: number | 'latest-export',
  ) {
    super();
  }
}

/** The file a launch read or wrote: the upload of an import or delete, the output of a successful export. */
export const fileOf = (run: RunDoc, kind: DataSyncKind): string | null => (kind === 'export' ? (run.status === 'succeeded' ? exportFile(run.jobId, run.id) : null) : run.file);

async function dataSyncJob(store: ReadStore, progress: ReadModelProgress, id: string, after?: string): Promise<JobDoc & { kind: DataSyncKind }> {
  await readYourWrite(progress, after);
  const job = await store.get<JobDoc>(JOBS, id);
  const kind = job && KIND_OF[job.type];
  if (!job || !kind) throw new DomainError('DATASYNC.NOT_FOUND', `Data sync ${id} not found`);
  return { ...job, kind };
}

const newestFirst = { field: 'queuedAt', order: -1 } as const;

/** A data sync's job as the view every dialect shows: its table and keys from its one task, its connection, its latest launch. */
async function viewOf(store: ReadStore, job: JobDoc, kind: DataSyncKind): Promise<DataSyncView> {
  const task = job.tasks[0];
  const { items } = await store.find<RunDoc>(RUNS, { filter: { jobId: job.id }, sort: newestFirst, limit: 1 });
  return {
    id: job.id,
    kind,
    job,
    table: /^REPLICATE \[(.*)\]$/.exec(task?.query ?? '')?.[1] ?? '',
    keyColumns: task?.keyColumns ?? null,
    connectionId: kind === 'export' ? job.sourceConnectionId : job.destinationConnectionId,
    latestLaunch: items[0] ?? null,
  };
}

/**
 * Whether a data sync's routes need one of its tokens, from its own stream and not a read model: a PUT that
 * turns auth on holds on the very next request (DATASYNC.NOT_FOUND when there is no such data sync).
 */
export class DataSyncNeedsToken extends Query<boolean> {
  constructor(readonly id: string) {
    super();
  }
}

@QueryHandler(DataSyncNeedsToken)
export class DataSyncNeedsTokenHandler implements IQueryHandler<DataSyncNeedsToken> {
  constructor(@Inject(EVENT_STORE) private readonly events: EventStore) {}

  async execute({ id }: DataSyncNeedsToken): Promise<boolean> {
    return (await loadDataSync(this.events, id)).settings.api_auth;
  }
}

@QueryHandler(GetDataSync)
export class GetDataSyncHandler implements IQueryHandler<GetDataSync> {
  constructor(
    @Inject(READ_STORE) private readonly store: ReadStore,
    @Inject(READ_MODEL_PROGRESS) private readonly progress: ReadModelProgress,
  ) {}

  async execute({ id, after }: GetDataSync): Promise<DataSyncView> {
    const { kind, ...job } = await dataSyncJob(this.store, this.progress, id, after);
    return viewOf(this.store, job, kind);
  }
}

@QueryHandler(ListDataSyncs)
export class ListDataSyncsHandler implements IQueryHandler<ListDataSyncs> {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  async execute({ limit, cursor }: ListDataSyncs): Promise<Page<DataSyncView>> {
    const page = await this.store.find<JobDoc>(JOBS, { filter: { type: { $in: ['Import', 'Export', 'Delete'] } }, sort: { field: 'createdAt', order: 1 }, limit, cursor });
    const items = await Promise.all(page.items.map((job) => viewOf(this.store, job, KIND_OF[job.type]!)));
    return { ...page, items };
  }
}

@QueryHandler(DataSyncLaunches)
export class DataSyncLaunchesHandler implements IQueryHandler<DataSyncLaunches> {
  constructor(
    @Inject(READ_STORE) private readonly store: ReadStore,
    @Inject(READ_MODEL_PROGRESS) private readonly progress: ReadModelProgress,
  ) {}

  async execute({ id, limit, cursor }: DataSyncLaunches): Promise<Page<RunDoc>> {
    await dataSyncJob(this.store, this.progress, id);
    return this.store.find<RunDoc>(RUNS, { filter: { jobId: id }, sort: newestFirst, limit, cursor });
  }
}

@QueryHandler(LaunchFile)
export class LaunchFileHandler implements IQueryHandler<LaunchFile> {
  constructor(
    @Inject(READ_STORE) private readonly store: ReadStore,
    @Inject(READ_MODEL_PROGRESS) private readonly progress: ReadModelProgress,
  ) {}

  async execute({ id, launch }: LaunchFile) {
    const { kind } = await dataSyncJob(this.store, this.progress, id);
    const filter: Filter = launch === 'latest-export' ? { jobId: id, status: 'succeeded' } : { jobId: id, number: launch };
    const { items } = await this.store.find<RunDoc>(RUNS, { filter, sort: newestFirst, limit: 1 });
    if (!items[0]) throw new DomainError('LAUNCH.NOT_FOUND', launch === 'latest-export' ? `Data sync ${id} has no finished export yet` : `Data sync ${id} has no launch ${launch}`);
    return { run: items[0], file: fileOf(items[0], kind) };
  }
}
