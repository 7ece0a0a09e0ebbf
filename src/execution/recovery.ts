import { hostname } from 'node:os';
import { type JobRecord, JOBS } from '../jobs/jobs.read-model.js';
import type { FinalRunStatus } from '../jobs/job.model.js';
import { type RunDoc, RUNS } from '../runs/runs.read-model.js';
import type { EventStore } from '../core/event-store.js';
import type { Doc, ReadStore } from '../core/read-store.js';
import { DomainError } from '../core/errors.js';
import type { RecordedEvent } from '../core/events.js';
import { type CommandContext, decideFrom } from '../core/write-path.js';
import { endRun, freeIfFinished } from '../runs/runs.commands.js';
import { type RunEvent, type RunOwner, type RunPlan, type RunState, runDecider, runStream } from '../runs/run.decider.js';

export const INSTANCES = 'instances';
/** An owner whose heartbeat is older than this is taken for dead (other hosts cannot be asked directly). */
const STALE_MS = 30_000;

interface InstanceDoc extends Doc, RunOwner {
  seenAt: string;
}

/**
 * Ends the runs left running by a process that died: failed, with the reason in the log, the rows of its last
 * recorded progress kept on each unfinished step, and the job freed to run again. The appends are at the run's
 * revision, so a run its owner finishes meanwhile is left alone.
 */
export async function recoverAbandonedRuns(
  events: EventStore,
  reads: ReadStore,
  self: RunOwner,
  ctx: CommandContext,
  /** Whether this process is still working on a run it owns; one it is not was lost (e.g. its end could not be written). */
  working: (runId: string) => boolean = () => true,
): Promise<number> {
  const { items } = await reads.find<RunDoc>(RUNS, { filter: { status: { $in: ['running', 'cancelling'] } }, limit: 500 });
  let recovered = 0;
  for (const run of items) {
    if (!run.owner) continue;
    const mine = run.owner.instanceId === self.instanceId;
    if (mine && working(run.id)) continue;
    const heartbeat = mine ? undefined : await reads.get<InstanceDoc>(INSTANCES, run.owner.instanceId);
    const reason = mine ? 'its worker in this process stopped without recording its end (the store may have failed)' : deathOf(run.owner, heartbeat ?? null);
    if (!reason) continue;
    if (await endAbandoned(events, run, reason, ctx)) recovered++;
  }
  return recovered;
}

async function endAbandoned(events: EventStore, run: RunDoc, reason: string, ctx: CommandContext): Promise<boolean> {
  const stream = runStream(run.id);
  const recorded = await events.readStream(stream);
  if (recorded.length === 0) return false;
  const at = ctx.clock();
  // Like the worker's own appends, these were caused by the event that queued the run.
  const runCtx = { ...ctx, causationId: recorded[0].id, clock: () => at };
  const loaded = { state: recorded.reduce((s, e) => runDecider.evolve(s, e as unknown as RunEvent), runDecider.initialState), revision: recorded[recorded.length - 1].revision, snapshotRevision: -1 };
  // A data sync's upload is applied in one transaction: a run that stopped before its end applied none of it,
  // unless it stopped between that commit and recording it (nothing durable tells those apart).
  const upload = Boolean((recorded.find((e) => e.type === 'RunQueued')?.data as RunPlan | undefined)?.file);
  const message = upload
    ? `Run abandoned: ${reason}. It is marked failed. Its file is applied all or nothing and most likely was not (unless the process stopped just as it committed): check the table before uploading it again.`
    : `Run abandoned: ${reason}. It is marked failed; rows written before are kept and the job can run again.`;
  const log = { type: 'RunLogged' as const, data: { runId: run.id, jobId: run.jobId, level: 'error' as const, message } };
  const record = { type: 'Record' as const, data: { events: [...unfinishedSteps(recorded, at, reason, upload), log] } };
  const logged = await decideFrom(events, stream, runDecider, loaded, record, runCtx).catch((error) => {
    if (error instanceof DomainError) return null; // its owner finished it after all
    throw error;
  });
  if (!logged) return false;
  const started = recorded.find((e) => e.type === 'RunStarted')?.metadata.occurredAt;
  const durationMs = started ? Math.max(0, at.getTime() - Date.parse(started)) : 0;
  const finished = await decideFrom(events, stream, runDecider, logged.loaded, { type: 'FinishRun', data: { status: 'failed', error: message, durationMs } }, runCtx);
  const { watermarks, status } = finished.state as Extract<RunState, { runId: string }>;
  await endRun(events, run.jobId, run.id, status as FinalRunStatus, watermarks, runCtx);
  return true;
}

/**
 * A failed step for each task that was running, with the rows its last recorded progress reached: written, or
 * for an upload (whose progress counts the rows staged) read and not applied.
 */
function unfinishedSteps(recorded: RecordedEvent[], at: Date, reason: string, upload: boolean): Extract<RunEvent, { type: 'StepFailed' }>[] {
  const open = new Map<string, { runId: string; startedAt: string; rows: number }>();
  for (const e of recorded as unknown as Array<RunEvent & RecordedEvent>) {
    if (e.type === 'StepStarted') open.set(e.data.taskId, { runId: e.data.runId, startedAt: e.metadata.occurredAt, rows: 0 });
    else if (e.type === 'StepProgress') open.get(e.data.taskId)!.rows = e.data.rowsProcessed;
    else if (e.type === 'StepCompleted' || e.type === 'StepFailed' || e.type === 'StepCancelled') open.delete(e.data.taskId);
  }
  return [...open].map(([taskId, step]) => ({
    type: 'StepFailed',
    data: {
      runId: step.runId,
      taskId,
      error: upload
        ? `The task stopped when ${reason}, most likely before its file was applied (all or nothing); ${step.rows} of its rows had been read`
        : `The task stopped when ${reason}; ${step.rows} rows were written before`,
      rowsRead: step.rows,
      rowsWritten: upload ? 0 : step.rows,
      durationMs: Math.max(0, at.getTime() - Date.parse(step.startedAt)),
    },
  }));
}

/**
 * A job whose active run was requested but never queued (the process died between the two appends), or whose
 * run finished without freeing it (it died between the run's end and the job's), would wait forever, and the
 * runs queued behind it too: after a minute, end that run on the job (failed when it never existed).
 */
export async function releaseJobsWithLostRuns(events: EventStore, reads: ReadStore, ctx: CommandContext): Promise<number> {
  const { items } = await reads.find<JobRecord>(JOBS, { filter: { activeRunId: { $ne: null } }, limit: 500 });
  let released = 0;
  for (const job of items) {
    if (!job.activeRunId || !job.activeRunSince || Date.now() - Date.parse(job.activeRunSince) < STALE_MS * 2) continue;
    if (await events.readLast(runStream(job.activeRunId))) {
      if (await freeIfFinished(events, job.id, job.activeRunId, ctx)) released++;
      continue;
    }
    await endRun(events, job.id, job.activeRunId, 'failed', {}, ctx);
    released++;
  }
  return released;
}

function deathOf(owner: RunOwner, heartbeat: InstanceDoc | null): string | undefined {
  if (owner.hostname === hostname() && !alive(owner.pid)) return `its worker (pid ${owner.pid} on ${owner.hostname}) is gone`;
  const seen = heartbeat ? Date.parse(heartbeat.seenAt) : 0;
  if (Date.now() - seen > STALE_MS) return `its worker (${owner.instanceId} on ${owner.hostname}) has not been seen for over ${STALE_MS / 1000} seconds`;
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
