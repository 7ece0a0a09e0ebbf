import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DomainError } from '../core/errors.js';
import { type DocAsOf, READ_MODEL_HISTORY, type ReadModelHistory } from '../core/read-model-history.js';
import { READ_MODEL_PROGRESS, type ReadModelProgress, readDocument, readYourWrite } from '../core/read-model-progress.js';
import { type Page, READ_STORE, type ReadStore } from '../core/read-store.js';
import { utcTime } from '../core/time.js';
import { jobTask, withTaskDocs, withTasks } from './job-tasks.js';
import { jobStream, type Task } from './job.model.js';
import { type JobDoc, type JobRecord, JOB_TASKS, JOBS, type JobTaskDoc } from './jobs.read-model.js';

/** A job with its tasks, as its read model has it; `after` waits for a write's position first (read your own writes). */
export class GetJob extends Query<JobDoc> {
  constructor(
    readonly jobId: string,
    readonly after?: string,
  ) {
    super();
  }
}

/** One task of a job and its index, without reading the job's other tasks; `after` as for GetJob. */
export class GetTask extends Query<{ task: Task; index: number }> {
  constructor(
    readonly jobId: string,
    readonly taskId: string,
    readonly after?: string,
  ) {
    super();
  }
}

/** A page of a workspace's jobs, oldest first, each with its tasks. */
export class ListJobs extends Query<Page<JobDoc>> {
  constructor(
    readonly workspaceId: string,
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}

/** A job with its tasks as they were at `at`, folded from its stream (also after its deletion: then `deletedAt`). */
export class JobAsOf extends Query<DocAsOf<JobDoc>> {
  constructor(
    readonly jobId: string,
    readonly at: string,
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
    const job = await readDocument<JobRecord>(this.runner, this.store, { collection: JOBS, id: jobId, after }, ['JOB.NOT_FOUND', 'Job']);
    const [withItsTasks] = await withTasks(this.store, [job]);
    return withItsTasks;
  }
}

@QueryHandler(GetTask)
export class GetTaskHandler implements IQueryHandler<GetTask> {
  constructor(
    @Inject(READ_STORE) private readonly store: ReadStore,
    @Inject(READ_MODEL_PROGRESS) private readonly runner: ReadModelProgress,
  ) {}

  async execute({ jobId, taskId, after }: GetTask): Promise<{ task: Task; index: number }> {
    await readYourWrite(this.runner, after);
    const found = await jobTask(this.store, jobId, taskId);
    if (found) return found;
    // Tasks go with their job: without the task, say which of the two is missing.
    if (!(await this.store.get(JOBS, jobId))) throw new DomainError('JOB.NOT_FOUND', `Job ${jobId} not found`);
    throw new DomainError('TASK.NOT_FOUND', `Task ${taskId} not found in job ${jobId}`);
  }
}

@QueryHandler(ListJobs)
export class ListJobsHandler implements IQueryHandler<ListJobs> {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  async execute({ workspaceId, limit, cursor }: ListJobs): Promise<Page<JobDoc>> {
    const page = await this.store.find<JobRecord>(JOBS, { filter: { workspaceId }, sort: { field: 'createdAt', order: 1 }, limit, cursor });
    return { ...page, items: await withTasks(this.store, page.items) };
  }
}

@QueryHandler(JobAsOf)
export class JobAsOfHandler implements IQueryHandler<JobAsOf> {
  constructor(@Inject(READ_MODEL_HISTORY) private readonly history: ReadModelHistory) {}

  async execute({ jobId, at }: JobAsOf): Promise<DocAsOf<JobDoc>> {
    const found = await this.history.asOf<JobRecord>(JOBS, jobId, jobStream(jobId), utcTime(at, 'as_of'), { collection: JOB_TASKS, field: 'jobId' });
    if (!found) throw new DomainError('JOB.NOT_FOUND', `${jobId} did not exist yet at ${at}`);
    return { doc: withTaskDocs(found.doc, found.related as JobTaskDoc[]), deletedAt: found.deletedAt };
  }
}
