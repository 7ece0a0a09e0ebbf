import { hostname } from 'node:os';
import { type JobDoc, JOBS } from '../jobs/jobs.read-model.js';
import { type RunDoc, RUNS } from '../runs/runs.read-model.js';
import type { EventStore } from '../core/event-store.js';
import type { Doc, ReadStore } from '../core/read-store.js';
import { type CommandContext, decideAndAppend } from '../core/write-path.js';
import { endRun } from '../runs/runs.commands.js';
import { type RunOwner, type RunState, runDecider, runStream } from '../runs/run.decider.js';

export const INSTANCES = 'instances';
/** An owner whose heartbeat is older than this is taken for dead (other hosts cannot be asked directly). */
const STALE_MS = 30_000;

interface InstanceDoc extends Doc, RunOwner {
  seenAt: string;
}

/**
 * Ends the runs left running by a process that died: failed, with the reason in the log, and the job freed
 * to run again. The finish is an append at the run's revision, so a run its owner finishes meanwhile is left alone.
 */
export async function recoverAbandonedRuns(events: EventStore, reads: ReadStore, self: RunOwner, ctx: CommandContext): Promise<number> {
  const { items } = await reads.find<RunDoc>(RUNS, { filter: { status: { $in: ['running', 'cancelling'] } }, limit: 500 });
  let recovered = 0;
  for (const run of items) {
    if (!run.owner || run.owner.instanceId === self.instanceId) continue;
    const heartbeat = await reads.get<InstanceDoc>(INSTANCES, run.owner.instanceId);
    const reason = deathOf(run.owner, heartbeat);
    if (!reason) continue;
    const message = `Run abandoned: ${reason}. It is marked failed; rows written before are kept and the job can run again.`;
    const stream = runStream(run.id);
    const log = { type: 'RunLogged' as const, data: { runId: run.id, jobId: run.jobId, level: 'error' as const, message } };
    const { state } = await decideAndAppend(events, stream, runDecider, { type: 'Record', data: { events: [log] } }, ctx).catch(() => ({ state: null }));
    if (!state) continue;
    const finished = await decideAndAppend(events, stream, runDecider, { type: 'FinishRun', data: { status: 'failed', error: message, durationMs: 0 } }, ctx);
    const watermarks = (finished.state as Extract<RunState, { runId: string }>).watermarks;
    await endRun(events, run.jobId, run.id, 'failed', watermarks, ctx);
    recovered++;
  }
  return recovered;
}

/**
 * A job whose run was requested but never queued (the process died between the two appends) would wait for
 * it forever: after a minute, end that run as failed so the job can run again.
 */
export async function releaseJobsWithLostRuns(events: EventStore, reads: ReadStore, ctx: CommandContext): Promise<number> {
  const { items } = await reads.find<JobDoc>(JOBS, { filter: { activeRunId: { $ne: null } }, limit: 500 });
  let released = 0;
  for (const job of items) {
    if (!job.activeRunId || !job.activeRunSince || Date.now() - Date.parse(job.activeRunSince) < STALE_MS * 2) continue;
    if (await events.readLast(runStream(job.activeRunId))) continue;
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
