import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { type RunDoc, RUNS } from '../runs/runs.read-model.js';
import { SETTINGS, type Settings } from '../config/settings.js';
import { DomainError } from '../core/errors.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { READ_STORE, type ReadStore } from '../core/read-store.js';
import { READ_MODEL_PROGRESS, type ReadModelProgress } from '../core/read-model-progress.js';
import { type CommandContext, loadState, systemClock } from '../core/write-path.js';
import { jobDecider } from '../jobs/job.decider.js';
import { jobStream } from '../jobs/job.model.js';
import type { RunOwner } from '../runs/run.decider.js';
import { executeRun } from './execute-run.js';
import { cancelRun } from '../runs/runs.commands.js';
import { FILE_STORE, type FileStore } from '../core/file-store.js';
import { RunSession } from './run-session.js';
import { INSTANCES, recoverAbandonedRuns, releaseJobsWithLostRuns } from './recovery.js';

/** A run queued, or a job's run ended (a run queued behind it may start): look now. A worker set free looks too. */
const WAKE_ON = new Set(['RunQueued', 'RunEnded']);
const HEARTBEAT_MS = 5000;
/** After the grace, how long interrupted runs get to record their end before shutdown goes on without them. */
const INTERRUPTED_END_MS = 5000;

/**
 * The in-process worker pool: takes queued runs (the runs read model is only a hint), claims each by an
 * append at its expected revision, and executes it. It also beats a heartbeat and ends runs whose owner died.
 */
@Injectable()
export class RunWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Worker');
  readonly owner: RunOwner = { instanceId: randomUUID(), hostname: hostname(), pid: process.pid };
  private readonly active = new Map<string, { work: Promise<void>; interrupt: AbortController }>();
  /** Runs being claimed right now: not yet in `active`, but not abandoned either. */
  private readonly claiming = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private polling = false;
  /** A wake-up came during a poll, which may have read the runs before it: poll once more. */
  private pollAgain = false;
  private unsubscribe?: () => void;

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(FILE_STORE) private readonly files: FileStore,
    @Inject(READ_MODEL_PROGRESS) private readonly progress: ReadModelProgress,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.reads.ensureCollection(INSTANCES, []);
    await this.heartbeat();
    await this.recover();
    this.unsubscribe = this.progress.onApplied((events) => events.some((e) => WAKE_ON.has(e.type)) && void this.poll());
    this.timers = [
      setInterval(() => void this.poll(), this.settings.workerPollMs),
      // A heartbeat that cannot be written (a full disk) is logged: an unhandled rejection would end the process.
      setInterval(() => void this.heartbeat().then(() => this.recover(), (error) => this.logger.warn(`Heartbeat failed: ${(error as Error).message}`)), HEARTBEAT_MS),
    ];
  }

  /**
   * Runs stop at their next batch boundary; those still working when the grace (SLUICE_SHUTDOWN_GRACE_MS)
   * is over are interrupted and end failed, saying why, so a restart has nothing to guess.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    this.timers.forEach(clearInterval);
    // A poll may be claiming a run right now: let it finish, so that run is waited for (or interrupted) too.
    while (this.polling) await new Promise((r) => setTimeout(r, 10));
    const runs = [...this.active.values()];
    const ended = Promise.allSettled(runs.map((r) => r.work));
    const grace = this.settings.shutdownGraceMs;
    if (await settlesWithin(ended, grace)) return;
    const reason = `Sluice shut down and the run was still working when the shutdown grace of ${grace} ms (SLUICE_SHUTDOWN_GRACE_MS) ran out, so it was interrupted`;
    this.logger.warn(`${runs.length} run(s) still working ${grace} ms after shutdown began (SLUICE_SHUTDOWN_GRACE_MS): interrupting them`);
    runs.forEach((r) => r.interrupt.abort(reason));
    if (!(await settlesWithin(ended, INTERRUPTED_END_MS))) {
      this.logger.error(`Interrupted run(s) did not record their end; the next start ends them as abandoned`);
    }
  }

  /** Worker events are correlated with their run; recovery's with this instance. */
  private ctx(correlationId = this.owner.instanceId): CommandContext {
    return { actor: `worker:${this.owner.instanceId}`, correlationId, commandId: randomUUID(), clock: systemClock };
  }

  private async poll(): Promise<void> {
    if (this.polling) this.pollAgain = true;
    if (this.polling || this.stopping || this.active.size >= this.settings.workers) return;
    this.polling = true;
    this.pollAgain = false;
    try {
      const free = () => this.active.size < this.settings.workers && !this.stopping;
      let cursor: string | undefined;
      do {
        const page = await this.reads.find<RunDoc>(RUNS, { filter: { status: 'queued' }, sort: { field: 'queuedAt', order: 1 }, limit: 50, cursor });
        for (const run of page.items) {
          if (!free()) break;
          if (this.active.has(run.id)) continue;
          const turn = await this.turnOf(run);
          if (turn === 'start') await this.start(run.id);
          else if (turn === 'disabled') await cancelRun(this.events, run.id, this.ctx(run.id)).catch((error: unknown) => this.logger.warn(`Run ${run.id} of a disabled job could not be cancelled: ${(error as Error).message}`));
        }
        cursor = page.next;
      } while (cursor && free());
    } catch (error) {
      this.logger.error(`Polling for queued runs failed: ${(error as Error).message}`);
    } finally {
      this.polling = false;
      if (this.pollAgain) void this.poll();
    }
  }

  /**
   * A run queued behind its job's active run (an uploaded file's launch) waits until the runs before it have
   * ended; one whose job was disabled before it started is cancelled instead, since a disabled job never runs.
   */
  private async turnOf(run: RunDoc): Promise<'start' | 'wait' | 'disabled'> {
    const { state } = await loadState(this.events, jobStream(run.jobId), jobDecider);
    if (state.status === 'none') return 'start';
    if ((state.waitingRunIds ?? []).includes(run.id)) return 'wait';
    return state.enabled === false && state.activeRunId === run.id ? 'disabled' : 'start';
  }

  private async start(runId: string): Promise<void> {
    let session: RunSession;
    this.claiming.add(runId);
    try {
      session = await RunSession.claim(this.events, runId, this.owner, this.ctx(runId));
    } catch (error) {
      if (error instanceof DomainError) return; // another worker won the claim, or the run was cancelled
      throw error;
    } finally {
      this.claiming.delete(runId);
    }
    const interrupt = new AbortController();
    const work = executeRun(this.events, session, session.context, { shuttingDown: () => this.stopping, interrupt: interrupt.signal }, this.settings, this.files)
      .catch((error) => this.logger.error(`Run ${runId} failed outside its tasks: ${(error as Error).stack ?? error}`))
      .finally(() => {
        this.active.delete(runId);
        void this.poll();
      });
    this.active.set(runId, { work, interrupt });
  }

  private async heartbeat(): Promise<void> {
    await this.reads.write([{ collection: INSTANCES, op: 'upsert', doc: { id: this.owner.instanceId, ...this.owner, seenAt: new Date().toISOString() } }]);
  }

  private async recover(): Promise<void> {
    if (this.stopping) return;
    try {
      await recoverAbandonedRuns(this.events, this.reads, this.owner, this.ctx(), (runId) => this.active.has(runId) || this.claiming.has(runId));
      await releaseJobsWithLostRuns(this.events, this.reads, this.ctx());
    } catch (error) {
      this.logger.error(`Recovering abandoned runs failed: ${(error as Error).message}`);
    }
  }
}

/** True when `work` settles within `ms`. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
