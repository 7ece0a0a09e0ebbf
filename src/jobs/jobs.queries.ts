import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { type JobDoc, JOBS } from './jobs.read-model.js';
import { READ_MODEL_PROGRESS, type ReadModelProgress, readDocument } from '../core/read-model-progress.js';
import { type Page, READ_STORE, type ReadStore } from '../core/read-store.js';

/** A job as its read model has it; `after` waits for a write's position first (read your own writes). */
export class GetJob extends Query<JobDoc> {
  constructor(
    readonly jobId: string,
    readonly after?: string,
  ) {
    super();
  }
}

export class ListJobs extends Query<Page<JobDoc>> {
  constructor(
    readonly workspaceId: string,
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}

@QueryHandler(GetJob)
export class GetJobHandler implements IQueryHandler<GetJob> {
  constructor(
    @Inject(READ_STORE) private readonly store: ReadStore,
    @Inject(READ_MODEL_PROGRESS) private readonly runner: ReadModelProgress,
  ) {}

  async execute({ jobId, after }: GetJob): Promise<JobDoc> {
    return readDocument<JobDoc>(this.runner, this.store, { collection: JOBS, id: jobId, after }, ['JOB.NOT_FOUND', 'Job']);
  }
}

@QueryHandler(ListJobs)
export class ListJobsHandler implements IQueryHandler<ListJobs> {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  execute({ workspaceId, limit, cursor }: ListJobs): Promise<Page<JobDoc>> {
    return this.store.find<JobDoc>(JOBS, { filter: { workspaceId }, sort: { field: 'createdAt', order: 1 }, limit, cursor });
  }
}
