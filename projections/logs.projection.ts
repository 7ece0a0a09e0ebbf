import { type RecordedEvent, sortablePosition } from '../src/core/events.js';
import type { Doc } from '../src/core/read-store.js';
import type { LogLevel, RunEvent } from '../src/runs/run.decider.js';
import type { Projection, ProjectionTx } from './projection.js';

export const LOG_LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** One document per log line, indexed by time for run, job and level. */
export interface LogDoc extends Doc {
  runId: string;
  jobId: string;
  taskId: string | null;
  at: string;
  level: LogLevel;
  /** The level as a number, so "this level and above" is a range query. */
  severity: number;
  message: string;
  /** Fixed-width log position: lines sort in the order they were written. */
  position: string;
}

export const LOGS = 'logs';

export const logsProjection: Projection = {
  name: 'logs',
  collections: { [LOGS]: [{ fields: ['runId', 'at'] }, { fields: ['jobId', 'at'] }, { fields: ['severity', 'at'] }] },
  async apply(recorded: RecordedEvent, tx: ProjectionTx) {
    const event = recorded as unknown as RunEvent & RecordedEvent;
    if (event.type !== 'RunLogged') return;
    const { runId, jobId, level, message, taskId } = event.data;
    tx.put(LOGS, {
      id: recorded.id,
      runId,
      jobId,
      taskId: taskId ?? null,
      at: recorded.metadata.occurredAt,
      level,
      severity: LOG_LEVELS.indexOf(level),
      message,
      position: sortablePosition(recorded.position),
    } satisfies LogDoc);
  },
};
