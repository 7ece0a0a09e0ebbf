import { type RecordedEvent, sortablePosition } from '../src/core/events.js';
import type { Doc } from '../src/core/read-store.js';
import { AUDIT, type AuditEntryDoc } from '../src/audit/audit.read-model.js';
import { describeJobEvent } from '../src/audit/job-changes.js';
import { type JobEvent, jobDecider } from '../src/jobs/job.decider.js';
import type { RunEvent } from '../src/runs/run.decider.js';
import type { Projection, ProjectionTx } from './projection.js';

/** Each run's job and each task's rows (its last result counts, as in the runs read model), for its run events' entries. */
const RUN_TOTALS = 'audit_run_totals';

/** The job stream's own run gate (RunRequested/RunEnded) repeats what the run's events tell, and its claim releases are bookkeeping. */
const UNTOLD = new Set(['RunRequested', 'RunEnded', 'JobClaimsReleased']);
const RUN_LIFE = new Set(['RunQueued', 'RunStarted', 'RunCancelRequested', 'RunFinished']);

interface RunTotalsDoc extends Doc {
  jobId: string;
  steps: Record<string, { rowsRead: number; rowsWritten: number }>;
}

/**
 * Every change to a job and the life of each of its runs, as a timeline per job that outlives the job.
 * What a job event changed is read off the job's state before and after it, folded from the job's stream
 * (see StreamStates) rather than kept in a document: a job of thousands of tasks is never rewritten whole.
 * The entries come first among its collections: they are derived from the run totals kept after them, so a
 * partial write re-applied leaves the entries right (see ProjectionTx.writes).
 */
export const auditProjection: Projection = {
  name: 'audit',
  // 2: entries keyed by their log position rather than their event's id, so each is written at the end of the key index.
  version: 2,
  collections: { [AUDIT]: [{ fields: ['jobId', 'order'] }, { fields: ['jobId', 'at'] }], [RUN_TOTALS]: [] },
  // Each job's whole state, kept until the audit folded it from the log instead.
  retired: ['audit_job_states'],
  async apply(recorded: RecordedEvent, tx: ProjectionTx) {
    if (recorded.stream.startsWith('job-')) return applyJobEvent(recorded as unknown as JobEvent & RecordedEvent, tx);
    if (recorded.stream.startsWith('run-')) return applyRunEvent(recorded as unknown as RunEvent & RecordedEvent, tx);
  },
};

async function applyJobEvent(event: JobEvent & RecordedEvent, tx: ProjectionTx): Promise<void> {
  // Folded even when untold: the next event's state starts from it.
  const { before, after } = await tx.around(event, jobDecider);
  if (!UNTOLD.has(event.type)) await tx.put(AUDIT, { ...entry(event, event.data.jobId), ...describeJobEvent(before, event, after) });
}

async function applyRunEvent(event: RunEvent & RecordedEvent, tx: ProjectionTx): Promise<void> {
  const runId = event.data.runId;
  if (event.type === 'RunQueued') {
    const { jobId, trigger } = event.data;
    await tx.put(RUN_TOTALS, { id: runId, jobId, steps: {} } satisfies RunTotalsDoc);
    return tx.put(AUDIT, { ...entry(event, jobId), run: { id: runId, trigger, status: 'queued' } });
  }
  const totals = await tx.get<RunTotalsDoc>(RUN_TOTALS, runId);
  if (!totals) return;
  if (event.type === 'StepCompleted' || event.type === 'StepFailed' || event.type === 'StepCancelled') {
    const { taskId, rowsRead, rowsWritten } = event.data;
    return tx.put(RUN_TOTALS, { ...totals, steps: { ...totals.steps, [taskId]: { rowsRead, rowsWritten } } });
  }
  if (!RUN_LIFE.has(event.type)) return;
  const steps = Object.values(totals.steps);
  const rowsRead = steps.reduce((sum, s) => sum + s.rowsRead, 0);
  const rowsWritten = steps.reduce((sum, s) => sum + s.rowsWritten, 0);
  const run: AuditEntryDoc['run'] =
    event.type === 'RunFinished'
      ? { id: runId, status: event.data.status, rowsRead, rowsWritten, durationMs: event.data.durationMs, error: event.data.error ?? null }
      : { id: runId, status: event.type === 'RunStarted' ? 'running' : 'cancelling' };
  await tx.put(AUDIT, { ...entry(event, totals.jobId), run });
}

function entry(recorded: RecordedEvent, jobId: string): AuditEntryDoc {
  const { metadata } = recorded;
  const order = sortablePosition(recorded.position);
  return {
    id: order,
    jobId,
    position: recorded.position,
    order,
    stream: recorded.stream,
    revision: recorded.revision,
    at: metadata.occurredAt,
    type: recorded.type,
    actor: metadata.actor,
    correlationId: metadata.correlationId,
    causationId: metadata.causationId ?? null,
    via: metadata.via ?? null,
  };
}
