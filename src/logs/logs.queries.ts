import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DomainError } from '../core/errors.js';
import { utcTime } from '../core/time.js';
import { type Filter, type Page, READ_STORE, type ReadStore, textWords } from '../core/read-store.js';
import type { LogLevel } from '../runs/run.decider.js';
import { type LogDoc, LOGS, LOG_LEVELS } from '../runs/runs.read-model.js';

/** What `GET /v1/logs` asks: a time range (both ends included) and what narrows it. */
export interface LogSearch {
  from: string;
  to: string;
  jobId?: string;
  runId?: string;
  taskId?: string;
  /** This level and above. */
  level?: LogLevel;
  /** Words that must all appear in the message. */
  q?: string;
  order: 'asc' | 'desc';
  limit: number;
  cursor?: string;
}

/** The log lines of every run in a time range, newest (or oldest) first; same-millisecond lines in log order. */
export class SearchLogs extends Query<Page<LogDoc>> {
  constructor(readonly search: LogSearch) {
    super();
  }
}

const invalid = (field: string, message: string) => new DomainError('VALIDATION', message, field);

@QueryHandler(SearchLogs)
export class SearchLogsHandler implements IQueryHandler<SearchLogs> {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  execute({ search }: SearchLogs): Promise<Page<LogDoc>> {
    const [from, to] = [utcTime(search.from, 'from'), utcTime(search.to, 'to')];
    if (from > to) throw invalid('from', `from (${search.from}) must not be after to (${search.to})`);
    const filter: Filter = { at: { $gte: from, $lte: to } };
    if (search.runId !== undefined) filter.runId = search.runId;
    if (search.jobId !== undefined) filter.jobId = search.jobId;
    if (search.taskId !== undefined) filter.taskId = search.taskId;
    if (search.level !== undefined && search.level !== LOG_LEVELS[0]) {
      // The highest level is rare and asked for as an equality, so the severity index walks it in time order;
      // lower levels are common enough that walking the time index and skipping the rest is cheaper than
      // sorting every line of them in the range.
      const severity = LOG_LEVELS.indexOf(search.level);
      filter.severity = severity === LOG_LEVELS.length - 1 ? severity : { $gte: severity };
    }
    if (search.q !== undefined) {
      if (textWords(search.q).length === 0) throw invalid('q', 'q must hold at least one word (letters or digits)');
      filter.message = { $text: search.q };
    }
    const order = search.order === 'asc' ? 1 : -1;
    return this.store.find<LogDoc>(LOGS, {
      filter,
      sort: [
        { field: 'at', order },
        { field: 'position', order },
      ],
      limit: search.limit,
      cursor: search.cursor,
    });
  }
}
