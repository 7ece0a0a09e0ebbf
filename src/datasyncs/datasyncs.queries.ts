import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DomainError } from '../core/errors.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { loadDataSync } from './datasyncs.commands.js';
import { type Filter, type Page, READ_STORE, type ReadStore } from '../core/read-store.js';
import { READ_MODEL_PROGRESS, type ReadModelProgress, readYourWrite } from '../core/read-model-progress.js';
import { jobStream } from '../jobs/job.model.js';
import { withTasks } from '../jobs/job-tasks.js';
import { type JobDoc, type JobRecord, JOBS } from '../jobs/jobs.read-model.js';
import { NEWEST_RUN_FIRST } from '../runs/runs.queries.js';
import { type RunDoc, RUNS } from '../runs/runs.read-model.js';
import { type DataSyncKind, exportFile, KIND_OF, nextLaunchAt, tableOf } from './datasync.model.js';

/** A data sync as its read models have it: the job, what it loads, its latest launch and its next one. */
export interface DataSyncView {
  id: string;
  kind: DataSyncKind;
  job: JobDoc;
  table: string;
  keyColumns: string[] | null;
  connectionId: string | null;
  /** The launch with the highest number (the one queued last). */
  latestLaunch: RunDoc | null;
  /** When its schedule launches it next (ISO 8601 UTC): enabled exports on an enabled schedule only. */
  nextLaunch: string | null;
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
  const job = await store.get<JobRecord>(JOBS, id);
  const kind = job && KIND_OF[job.type];
  if (!job || !kind) throw new DomainError('DATASYNC.NOT_FOUND', `Data sync ${id} not found`);
  const [withItsTask] = await withTasks(store, [job]);
  return { ...withItsTask, kind };
}

/** A data sync's job as the view every dialect shows: its table and keys from its one task, its connection, its latest and next launch. */
async function viewOf(store: ReadStore, job: JobDoc, kind: DataSyncKind, now: Date): Promise<DataSyncView> {
  const task = job.tasks[0];
  const { items } = await store.find<RunDoc>(RUNS, { filter: { jobId: job.id }, sort: NEWEST_RUN_FIRST, limit: 1 });
  return {
    id: job.id,
    kind,
    job,
    table: tableOf(task?.query) ?? '',
    keyColumns: task?.keyColumns ?? null,
    connectionId: kind === 'export' ? job.sourceConnectionId : job.destinationConnectionId,
    latestLaunch: items[0] ?? null,
    nextLaunch: nextLaunchAt(kind, job, now),
  };
}

/** How a data sync's routes are reached, decided from its own stream (see DataSyncAccess). */
export interface DataSyncAccessInfo {
  /** Whether its routes need one of its tokens (its `auth`). */
  needsToken: boolean;
  /** The position of its stream's newest event: a read of its view after it sees the data sync as the stream does. */
  position: string | undefined;
}

/**
 * Whether a data sync exists and its routes need one of its tokens, from its own stream and not a read model
 * (which may lag): one just created is found, one just deleted is DATASYNC.NOT_FOUND, and a PUT that turns auth
 * on holds on the very next request. Its `position` lets the caller read the view once it has caught up.
 */
export class DataSyncAccess extends Query<DataSyncAccessInfo> {
  constructor(readonly id: string) {
    super();
  }
}

@QueryHandler(DataSyncAccess)
export class DataSyncAccessHandler implements IQueryHandler<DataSyncAccess> {
  constructor(@Inject(EVENT_STORE) private readonly events: EventStore) {}

  async execute({ id }: DataSyncAccess): Promise<DataSyncAccessInfo> {
    const state = await loadDataSync(this.events, id);
    return { needsToken: state.settings.api_auth, position: (await this.events.readLast(jobStream(id)))?.position };
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
    return viewOf(this.store, job, kind, new Date());
  }
}

@QueryHandler(ListDataSyncs)
export class ListDataSyncsHandler implements IQueryHandler<ListDataSyncs> {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  async execute({ limit, cursor }: ListDataSyncs): Promise<Page<DataSyncView>> {
    const page = await this.store.find<JobRecord>(JOBS, { filter: { type: { $in: ['Import', 'Export', 'Delete'] } }, sort: { field: 'createdAt', order: 1 }, limit, cursor });
    const now = new Date();
    const items = await Promise.all((await withTasks(this.store, page.items)).map((job) => viewOf(this.store, job, KIND_OF[job.type]!, now)));
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
    return this.store.find<RunDoc>(RUNS, { filter: { jobId: id }, sort: NEWEST_RUN_FIRST, limit, cursor });
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
    const { items } = await this.store.find<RunDoc>(RUNS, { filter, sort: NEWEST_RUN_FIRST, limit: 1 });
    if (!items[0]) throw new DomainError('LAUNCH.NOT_FOUND', launch === 'latest-export' ? `Data sync ${id} has no finished export yet` : `Data sync ${id} has no launch ${launch}`);
    return { run: items[0], file: fileOf(items[0], kind) };
  }
}
