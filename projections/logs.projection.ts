import { type RecordedEvent, sortablePosition } from '../src/core/events.js';
import type { Doc, IndexSpec } from '../src/core/read-store.js';
import { dropLogsBefore, retentionCutoff } from '../src/logs/log-retention.js';
import type { RunEvent, RunPlan } from '../src/runs/run.decider.js';
import { type LogDoc, LOGS, LOG_LEVELS } from '../src/runs/runs.read-model.js';
import type { Projection, ProjectionTx } from './projection.js';

/**
 * Every log query is a time range read in time order (ties by log position, then id, which is what the
 * cursor holds), narrowed by a run, a job or a level: one index per narrowing, each ending in the sort, so
 * a page is a walk along one index that stops after `limit` lines. The bare time index serves ranges with
 * no narrowing (or a task, or a rare level over a wide range, where walking time order and skipping is
 * cheaper than sorting every line of that level) and retention's oldest-first deletes. The text index
 * answers `q`.
 */
const INDEXES: IndexSpec[] = [
  { fields: ['runId', 'at', 'position', 'id'] },
  { fields: ['jobId', 'at', 'position', 'id'] },
  { fields: ['severity', 'at', 'position', 'id'] },
  { fields: ['at', 'position', 'id'] },
  { fields: ['message'], text: true },
];

/** Per job with a `log_retention_runs`, its latest runs, newest last: the lines of any older run are dropped. */
const RECENT_RUNS = 'log_runs';
interface RecentRunsDoc extends Doc {
  runIds: string[];
}

/**
 * The `logs` read model: one document per log line. With a retention (SLUICE_LOG_RETENTION_DAYS), lines
 * already past it as the event is applied are left out, so a replay does not bring back what retention
 * dropped.
 */
export function logsProjectionKeeping(retentionDays: number | undefined, clock: () => Date = () => new Date()): Projection {
  return {
    name: 'logs',
    // The lines are derived from the recent runs: declared first, so a store without transactions never drops lines a run list does not account for.
    collections: { [LOGS]: INDEXES, [RECENT_RUNS]: [] },
    async apply(recorded: RecordedEvent, tx: ProjectionTx) {
      const event = recorded as unknown as RunEvent & RecordedEvent;
      if (event.type === 'RunQueued') return keepRecentRuns(event.data, tx);
      if (event.type !== 'RunLogged') return;
      const at = recorded.metadata.occurredAt;
      if (retentionDays !== undefined && at < retentionCutoff(retentionDays, clock())!) return;
      const { runId, jobId, level, message, taskId } = event.data;
      return tx.put(LOGS, {
        id: recorded.id,
        runId,
        jobId,
        taskId: taskId ?? null,
        at,
        level,
        severity: LOG_LEVELS.indexOf(level),
        message,
        position: sortablePosition(recorded.position),
      } satisfies LogDoc);
    },
    async expire(store, now, physical = (c) => c) {
      const cutoff = retentionCutoff(retentionDays, now);
      if (cutoff) await dropLogsBefore(store, cutoff, undefined, physical(LOGS));
    },
  };
}

/**
 * A job that keeps the lines of its latest N runs: a new run pushes the oldest out, with its lines. A job runs
 * one run at a time, so a run pushed out has ended and writes no more lines.
 */
async function keepRecentRuns(plan: RunPlan, tx: ProjectionTx): Promise<void> {
  const kept = plan.settings.log_retention_runs;
  if (!kept) return;
  const recent = await tx.get<RecentRunsDoc>(RECENT_RUNS, plan.jobId);
  const runIds = [...(recent?.runIds ?? []), plan.runId];
  const dropped = runIds.slice(0, Math.max(0, runIds.length - kept));
  await tx.put(RECENT_RUNS, { id: plan.jobId, runIds: runIds.slice(dropped.length) } satisfies RecentRunsDoc);
  if (dropped.length) await tx.deleteWhere(LOGS, 'runId', dropped);
}

/** Every line kept, whatever its age. */
export const logsProjection: Projection = logsProjectionKeeping(undefined);
