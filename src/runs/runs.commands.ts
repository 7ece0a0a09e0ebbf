import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DomainError } from '../core/errors.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { type CommandContext, decideAndAppend, decideFrom, deterministicUuid, loadState } from '../core/write-path.js';
import { type JobEvent, jobDecider } from '../jobs/job.decider.js';
import { type FinalRunStatus, jobStream, type RunStatus, type RunTrigger } from '../jobs/job.model.js';
import { runDecider, runStream, type RunPlan } from './run.decider.js';

export interface Executed {
  /** The run that was queued, or the job's active run when it already had one; null for a skipped slot. */
  runId: string | null;
  created: boolean;
  position?: string;
}

export class ExecuteJob extends Command<Executed> {
  constructor(
    readonly jobId: string,
    readonly taskIds: string[] | undefined,
    readonly ctx: CommandContext,
    readonly trigger: RunTrigger = 'manual',
    /** For scheduled runs: the cron slot, which the job's stream fires once. */
    readonly slot?: string,
    /** For a data sync's import or delete: the uploaded CSV in the file store. */
    readonly file?: string,
  ) {
    super();
  }
}

/** Gates on the job's stream (one active run, each slot once), then queues the run with its plan. */
@CommandHandler(ExecuteJob)
export class ExecuteJobHandler implements ICommandHandler<ExecuteJob> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ jobId, taskIds, ctx, trigger, slot, file }: ExecuteJob): Promise<Executed> {
    const runId = slot ? deterministicUuid(`${jobId}:${slot}`) : randomUUID();
    const request = () => decideAndAppend(this.store, jobStream(jobId), jobDecider, { type: 'RequestRun', data: { runId, trigger, taskIds, slot, withFile: Boolean(file) } }, ctx);
    let { state, events } = await request();
    // The active run may have finished without freeing the job yet (its worker frees it just after, or crashed
    // before it could): free it here, as the worker would, so the answer is never a run that is already over and
    // a file's run waiting behind it gets its turn. A request that was taken stands: it is not asked for again.
    const active = state.status === 'active' ? state.activeRunId : null;
    if (active && active !== runId && (await freeIfFinished(this.store, jobId, active, ctx)) && !events.length) ({ state, events } = await request());
    const requested = events.find((e): e is Extract<JobEvent, { type: 'RunRequested' }> => e.type === 'RunRequested');
    if (state.status !== 'active' || !requested) return { runId: state.status === 'active' ? state.activeRunId : null, created: false };
    const plan: RunPlan = {
      runId,
      jobId,
      workspaceId: state.workspaceId,
      jobName: state.name,
      type: state.type,
      ...(file ? { file } : {}),
      trigger,
      requestedBy: ctx.actor,
      ...(slot ? { slot } : {}),
      sourceConnectionId: state.sourceConnectionId,
      destinationConnectionId: state.destinationConnectionId,
      settings: state.settings,
      tasks: requested.data.taskIds.map((taskId) => {
        const task = state.tasks.find((t) => t.id === taskId)!;
        return {
          taskId,
          query: task.query,
          incrementalColumn: task.incrementalColumn || state.settings.incremental_column,
          watermark: state.watermarks[taskId] ?? null,
          destinationConnectionId: task.destinationConnectionId || state.destinationConnectionId,
          ...(task.keyColumns ? { keyColumns: task.keyColumns } : {}),
          ...(task.sourceQuery ? { sourceQuery: task.sourceQuery } : {}),
        };
      }),
    };
    const { position } = await decideAndAppend(this.store, runStream(runId), runDecider, { type: 'QueueRun', data: plan }, ctx);
    return { runId, created: true, position };
  }
}

export class CancelJob extends Command<{ runId: string; position?: string }> {
  constructor(
    readonly jobId: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

/** A queued run ends cancelled at once; a running one is asked to stop at its next batch boundary. */
@CommandHandler(CancelJob)
export class CancelJobHandler implements ICommandHandler<CancelJob> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ jobId, ctx }: CancelJob) {
    let { state: job } = await loadState(this.store, jobStream(jobId), jobDecider);
    // An active run that is over but has not freed its job yet is not what a cancel means: free it, and cancel
    // the run after it, if one waits.
    if (job.status === 'active' && job.activeRunId && (await freeIfFinished(this.store, jobId, job.activeRunId, ctx))) {
      ({ state: job } = await loadState(this.store, jobStream(jobId), jobDecider));
    }
    if (job.status !== 'active') throw new DomainError('JOB.NOT_FOUND', `Job ${jobId} not found`);
    if (!job.activeRunId) throw new DomainError('RUN.NOT_ACTIVE', `Job ${jobId} has no queued or running run to cancel`);
    return cancelRun(this.store, job.activeRunId, ctx);
  }
}

/** Ends the job's active run on its stream when the run itself has finished; answers whether it did. */
export async function freeIfFinished(store: EventStore, jobId: string, runId: string, ctx: CommandContext): Promise<boolean> {
  const { state: run } = await loadState(store, runStream(runId), runDecider);
  if (run.status === 'none' || !FINAL.includes(run.status)) return false;
  await endRun(store, jobId, runId, run.status as FinalRunStatus, run.watermarks, ctx);
  return true;
}

const FINAL: RunStatus[] = ['succeeded', 'failed', 'cancelled'];

/** Cancels one run by its id: at once when queued, at its next batch when running; nothing when it is being or was cancelled. */
export class CancelRun extends Command<{ runId: string; status: RunStatus; position?: string }> {
  constructor(
    readonly runId: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(CancelRun)
export class CancelRunHandler implements ICommandHandler<CancelRun> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  execute({ runId, ctx }: CancelRun) {
    return cancelRun(this.store, runId, ctx);
  }
}

/** A queued run ends cancelled at once (and frees its job); a running one is asked to stop; a cancelled one is left as it is. */
export async function cancelRun(store: EventStore, runId: string, ctx: CommandContext): Promise<{ runId: string; status: RunStatus; position?: string }> {
  const loaded = await loadState(store, runStream(runId), runDecider);
  if (loaded.state.status === 'none') throw new DomainError('RUN.NOT_FOUND', `Run ${runId} not found`);
  if (loaded.state.status === 'cancelling') return { runId, status: loaded.state.status };
  // Cancelled already: make sure its job let it go too (a cancel whose EndRun failed is finished by asking again).
  if (loaded.state.status === 'cancelled') return { runId, status: 'cancelled', position: await endRun(store, loaded.state.jobId, runId, 'cancelled', {}, ctx) };
  const { state, position } = await decideFrom(store, runStream(runId), runDecider, loaded, { type: 'CancelRun', data: {} }, ctx);
  const status = (state as Extract<typeof state, { runId: string }>).status;
  if (status !== 'cancelled') return { runId, status, position };
  return { runId, status, position: (await endRun(store, loaded.state.jobId, runId, 'cancelled', {}, ctx)) ?? position };
}

/** Frees the job for its next run and keeps the watermarks the run reached. */
export async function endRun(
  store: EventStore,
  jobId: string,
  runId: string,
  status: FinalRunStatus,
  watermarks: Record<string, unknown>,
  ctx: CommandContext,
): Promise<string | undefined> {
  const { position } = await decideAndAppend(store, jobStream(jobId), jobDecider, { type: 'EndRun', data: { runId, status, watermarks } }, ctx);
  return position;
}
