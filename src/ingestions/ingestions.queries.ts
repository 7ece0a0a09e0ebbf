import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { type Filter, READ_STORE, type ReadStore } from '../core/read-store.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { loadState } from '../core/write-path.js';
import { jobDecider } from '../jobs/job.decider.js';
import { jobStream, type RunStatus } from '../jobs/job.model.js';
import { type RunDoc, RUNS } from '../runs/runs.read-model.js';
import { type JobRecord, JOBS } from '../jobs/jobs.read-model.js';
import { NEWEST_RUN_FIRST } from '../runs/runs.queries.js';
import { SIREN_WORKSPACE } from './ingestion.model.js';

export interface ExecutionSearch {
  jobIds?: string[];
  statuses: RunStatus[];
  /** Epoch ms, inclusive, on the execution's start (its queue time while it has not started). */
  startFrom?: number;
  startTo?: number;
  from: number;
  size: number;
}

/** When an execution started, as Siren shows it: a run that never started counts from its queue time. */
export const startTime = (run: RunDoc) => Date.parse(run.startedAt ?? run.queuedAt);

/** Executions of Siren ingestions, newest first, with how many match in all (for `_search` and the running list). */
export class SearchExecutions extends Query<{ total: number; runs: RunDoc[] }> {
  constructor(readonly search: ExecutionSearch) {
    super();
  }
}

const PAGE = 500;

/**
 * Reads the matching runs page by page from the newest, since the total must be counted and the start time
 * is not an indexed field; a run queued after `startTo` cannot have started before it, so that bound
 * narrows the read.
 */
@QueryHandler(SearchExecutions)
export class SearchExecutionsHandler implements IQueryHandler<SearchExecutions> {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  async execute({ search }: SearchExecutions): Promise<{ total: number; runs: RunDoc[] }> {
    const filter: Filter = {
      workspaceId: SIREN_WORKSPACE,
      status: { $in: search.statuses },
      ...(search.jobIds ? { jobId: { $in: search.jobIds } } : {}),
      ...(search.startTo !== undefined ? { queuedAt: { $lte: new Date(search.startTo).toISOString() } } : {}),
    };
    const runs: RunDoc[] = [];
    let total = 0;
    let cursor: string | undefined;
    do {
      const page = await this.store.find<RunDoc>(RUNS, { filter, sort: { field: 'queuedAt', order: -1 }, limit: PAGE, cursor });
      for (const run of page.items) {
        const start = startTime(run);
        if ((search.startFrom !== undefined && start < search.startFrom) || (search.startTo !== undefined && start > search.startTo)) continue;
        if (total >= search.from && runs.length < search.size) runs.push(run);
        total++;
      }
      cursor = page.next;
    } while (cursor);
    return { total, runs };
  }
}

/** The id of the ingestion's execution that is queued or running, read from its job's stream (no read model lag). */
export class ActiveExecution extends Query<string | null> {
  constructor(readonly jobId: string) {
    super();
  }
}

@QueryHandler(ActiveExecution)
export class ActiveExecutionHandler implements IQueryHandler<ActiveExecution> {
  constructor(@Inject(EVENT_STORE) private readonly events: EventStore) {}

  async execute({ jobId }: ActiveExecution): Promise<string | null> {
    const { state } = await loadState(this.events, jobStream(jobId), jobDecider);
    return state.status === 'active' ? state.activeRunId : null;
  }
}

/**
 * The ingestion's execution that runs, else its last one; null for an ingestion that does not exist (a
 * deleted one included) or has not run since it was created: one made again under a deleted one's id starts
 * with no executions (the deleted one's stay in SearchExecutions).
 */
export class LastExecution extends Query<RunDoc | null> {
  constructor(readonly jobId: string) {
    super();
  }
}

@QueryHandler(LastExecution)
export class LastExecutionHandler implements IQueryHandler<LastExecution> {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  async execute({ jobId }: LastExecution): Promise<RunDoc | null> {
    const job = await this.store.get<JobRecord>(JOBS, jobId);
    if (!job || job.status !== 'active') return null;
    const [run] = (await this.store.find<RunDoc>(RUNS, { filter: { jobId }, sort: NEWEST_RUN_FIRST, limit: 1 })).items;
    return run && run.queuedAt >= job.createdAt ? run : null;
  }
}
