import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { type LogDoc, LOGS, LOG_LEVELS } from './runs.read-model.js';
import { READ_MODEL_PROGRESS, type ReadModelProgress, readDocument } from '../core/read-model-progress.js';
import { type RunDoc, RUNS, type StepDoc } from './runs.read-model.js';
import { DomainError } from '../core/errors.js';
import { utcTime } from '../core/time.js';
import { type Filter, type Page, READ_STORE, type ReadStore, type SortKey } from '../core/read-store.js';
import type { LogLevel } from './run.decider.js';
import type { RunStatus } from '../jobs/job.model.js';
import { jobTask } from '../jobs/job-tasks.js';
import { type JobRecord, JOBS } from '../jobs/jobs.read-model.js';

/**
 * Newest run first, by number: numbers are log positions, so they order runs as they were queued, across
 * instances and whatever their clocks say (queuedAt may tie, or go back).
 */
export const NEWEST_RUN_FIRST: SortKey = { field: 'number', order: -1 };

export class GetRun extends Query<RunDoc> {
  constructor(
    readonly runId: string,
    readonly after?: string,
  ) {
    super();
  }
}

/** A job's runs, newest first. */
export class ListRuns extends Query<Page<RunDoc>> {
  constructor(
    readonly jobId: string,
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}

/** Each step of one task across the job's recent runs, newest first (at most the last `runs` runs). */
export class TaskHistory extends Query<Array<{ run: RunDoc; step: StepDoc }>> {
  constructor(
    readonly jobId: string,
    readonly taskIds: string[],
    readonly onlyLatest: boolean,
    readonly runs = 500,
  ) {
    super();
  }
}

/** Runs of some jobs queued in a time range (inclusive), oldest first, optionally of some statuses only. */
export class FindRuns extends Query<Page<RunDoc>> {
  constructor(
    readonly options: { jobIds: string[]; from: string; to: string; statuses?: RunStatus[]; limit: number; cursor?: string },
  ) {
    super();
  }
}

/**
 * The runs that are running or being cancelled, of every job (or only the one with this number), oldest
 * first; each step has the incremental column its run planned (see StepDoc.incrementalColumn).
 */
export class ActiveRuns extends Query<Page<RunDoc>> {
  constructor(
    readonly limit: number,
    readonly cursor?: string,
    readonly number?: number,
  ) {
    super();
  }
}

/** The run with this number (Prisma's launch id, Etlworks' audit id); RUN.NOT_FOUND when there is none. */
export class RunByNumber extends Query<RunDoc> {
  constructor(readonly number: number) {
    super();
  }
}

export class RunLogs extends Query<Page<LogDoc>> {
  constructor(
    readonly runId: string,
    readonly options: { from?: string; to?: string; level?: LogLevel; limit: number; cursor?: string },
  ) {
    super();
  }
}

@QueryHandler(GetRun)
export class GetRunHandler implements IQueryHandler<GetRun> {
  constructor(
    @Inject(READ_STORE) private readonly store: ReadStore,
    @Inject(READ_MODEL_PROGRESS) private readonly runner: ReadModelProgress,
  ) {}

  async execute({ runId, after }: GetRun): Promise<RunDoc> {
    return readDocument<RunDoc>(this.runner, this.store, { collection: RUNS, id: runId, after }, ['RUN.NOT_FOUND', 'Run']);
  }
}

@QueryHandler(ListRuns)
export class ListRunsHandler implements IQueryHandler<ListRuns> {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  execute({ jobId, limit, cursor }: ListRuns): Promise<Page<RunDoc>> {
    return this.store.find<RunDoc>(RUNS, { filter: { jobId }, sort: { field: 'queuedAt', order: -1 }, limit, cursor });
  }
}

@QueryHandler(TaskHistory)
export class TaskHistoryHandler implements IQueryHandler<TaskHistory> {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  async execute({ jobId, taskIds, onlyLatest, runs }: TaskHistory) {
    const wanted = new Set(taskIds);
    const found: Array<{ run: RunDoc; step: StepDoc }> = [];
    let cursor: string | undefined;
    let seen = 0;
    do {
      const page = await this.store.find<RunDoc>(RUNS, { filter: { jobId }, sort: { field: 'queuedAt', order: -1 }, limit: 100, cursor });
      for (const run of page.items) {
        for (const step of run.steps) {
          if (!wanted.has(step.taskId)) continue;
          found.push({ run, step });
          if (onlyLatest) wanted.delete(step.taskId);
        }
      }
      seen += page.items.length;
      cursor = page.next;
    } while (cursor && seen < runs && wanted.size > 0);
    return found;
  }
}

@QueryHandler(FindRuns)
export class FindRunsHandler implements IQueryHandler<FindRuns> {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  execute({ options: { jobIds, from, to, statuses, limit, cursor } }: FindRuns): Promise<Page<RunDoc>> {
    const filter: Filter = { jobId: { $in: jobIds }, queuedAt: { $gte: from, $lte: to }, ...(statuses ? { status: { $in: statuses } } : {}) };
    return this.store.find<RunDoc>(RUNS, { filter, sort: { field: 'queuedAt', order: 1 }, limit, cursor });
  }
}

@QueryHandler(ActiveRuns)
export class ActiveRunsHandler implements IQueryHandler<ActiveRuns> {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  async execute({ limit, cursor, number }: ActiveRuns): Promise<Page<RunDoc>> {
    const statuses: RunStatus[] = ['running', 'cancelling'];
    const filter: Filter = { status: { $in: statuses }, ...(number !== undefined ? { number } : {}) };
    const page = await this.store.find<RunDoc>(RUNS, { filter, sort: { field: 'queuedAt', order: 1 }, limit, cursor });
    return { ...page, items: await this.withPlannedColumns(page.items) };
  }

  /**
   * Steps projected before they kept their planned incremental column take it from their job as it is now
   * (the task's own or the job's), the best there is for them; a deleted job's have none.
   */
  private async withPlannedColumns(runs: RunDoc[]): Promise<RunDoc[]> {
    const jobs = new Map<string, Promise<JobRecord | null>>();
    const jobOf = (id: string) => {
      if (!jobs.has(id)) jobs.set(id, this.store.get<JobRecord>(JOBS, id));
      return jobs.get(id)!;
    };
    return Promise.all(
      runs.map(async (run) => {
        if (run.steps.every((s) => s.incrementalColumn !== undefined)) return run;
        const job = await jobOf(run.jobId);
        const columnOf = async (taskId: string) => {
          const task = job && (await jobTask(this.store, job.id, taskId))?.task;
          return (task && (task.incrementalColumn || job!.settings.incremental_column)) || null;
        };
        const steps = await Promise.all(run.steps.map(async (s) => (s.incrementalColumn !== undefined ? s : { ...s, incrementalColumn: await columnOf(s.taskId) })));
        return { ...run, steps };
      }),
    );
  }
}

@QueryHandler(RunByNumber)
export class RunByNumberHandler implements IQueryHandler<RunByNumber> {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  async execute({ number }: RunByNumber): Promise<RunDoc> {
    const [run] = (await this.store.find<RunDoc>(RUNS, { filter: { number }, limit: 1 })).items;
    if (!run) throw new DomainError('RUN.NOT_FOUND', `Run number ${number} not found`);
    return run;
  }
}

@QueryHandler(RunLogs)
export class RunLogsHandler implements IQueryHandler<RunLogs> {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  async execute({ runId, options }: RunLogs): Promise<Page<LogDoc>> {
    if (!(await this.store.get(RUNS, runId))) throw new DomainError('RUN.NOT_FOUND', `Run ${runId} not found`);
    const filter: Filter = { runId };
    // As the log writes times (UTC, milliseconds): `08:00:00Z` must include a line at `08:00:00.000Z`.
    if (options.from || options.to) filter.at = { ...(options.from ? { $gte: utcTime(options.from, 'from') } : {}), ...(options.to ? { $lte: utcTime(options.to, 'to') } : {}) };
    if (options.level) filter.severity = { $gte: LOG_LEVELS.indexOf(options.level) };
    return this.store.find<LogDoc>(LOGS, { filter, sort: { field: 'position', order: 1 }, limit: options.limit, cursor: options.cursor });
  }
}
