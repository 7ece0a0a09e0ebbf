import { DomainError } from '../core/errors.js';
import type { EventStore } from '../core/event-store.js';
import { type CommandContext, catchUp, decideFrom, type Loaded, loadState } from '../core/write-path.js';
import type { FinalRunStatus } from '../jobs/job.model.js';
import { type LogLevel, type RunCommand, type RunOwner, type RunState, runDecider, runStream } from '../runs/run.decider.js';

const CANCEL_CHECK_MS = 300;

type LiveRun = Extract<RunState, { runId: string }>;

/**
 * The owning worker's handle on a run it claimed. It keeps the stream's state and revision, so recording a
 * step or a log line is one append at the expected revision (the shared write path re-reads only the new
 * events on a conflict). Appends from parallel tasks go one at a time, each stamped when it is written.
 */
export class RunSession {
  private queue: Promise<unknown> = Promise.resolve();
  private lastCancelCheck = 0;

  private constructor(
    private readonly store: EventStore,
    readonly runId: string,
    private loaded: Loaded<RunState>,
    /** The worker's context, naming the run's RunQueued event as the cause of everything the run writes. */
    readonly context: CommandContext,
    /** When the run was claimed: the time of its RunStarted, from which its duration is measured. */
    readonly startedAt: Date,
  ) {}

  /** Claims a queued run; only one caller wins (the others get RUN.ALREADY_CLAIMED). */
  static async claim(store: EventStore, runId: string, owner: RunOwner, ctx: CommandContext): Promise<RunSession> {
    const stream = runStream(runId);
    const [queued] = await store.readStream(stream, { maxCount: 1 });
    if (!queued) throw new DomainError('RUN.NOT_FOUND', `Run ${runId} not found`);
    const context = { ...ctx, causationId: queued.id };
    const startedAt = ctx.clock();
    // A conflict means another worker claimed it or it was cancelled: re-deciding then answers RUN.ALREADY_CLAIMED.
    const { loaded } = await decideFrom(store, stream, runDecider, await loadState(store, stream, runDecider), { type: 'StartRun', data: { owner } }, {
      ...context,
      clock: () => startedAt,
    });
    return new RunSession(store, runId, loaded, context, startedAt);
  }

  private get state(): LiveRun {
    return this.loaded.state as LiveRun;
  }

  get plan() {
    return this.state.plan;
  }

  /** The run's status as this session last decided it: after `finish`, how it ended. */
  get status(): FinalRunStatus {
    return this.state.status as FinalRunStatus;
  }

  get watermarks() {
    return this.state.watermarks;
  }

  log(level: LogLevel, message: string, taskId?: string): Promise<void> {
    return this.record([{ type: 'RunLogged', data: { runId: this.runId, jobId: this.state.jobId, level, message, ...(taskId ? { taskId } : {}) } }]);
  }

  record(events: Extract<RunCommand, { type: 'Record' }>['data']['events']): Promise<void> {
    return this.serialized(() => this.decide({ type: 'Record', data: { events } }, this.context));
  }

  /** Ends the run; its duration is measured from the claim to the time its RunFinished is stamped with. */
  finish(status: FinalRunStatus, error?: string): Promise<void> {
    return this.serialized(() => {
      const at = this.context.clock();
      const durationMs = at.getTime() - this.startedAt.getTime();
      return this.decide({ type: 'FinishRun', data: { status, durationMs, ...(error ? { error } : {}) } }, { ...this.context, clock: () => at });
    });
  }

  /** True once a cancel was requested; looks at the stream at most every 300 ms. */
  async cancelRequested(): Promise<boolean> {
    if (Date.now() - this.lastCancelCheck >= CANCEL_CHECK_MS) {
      this.lastCancelCheck = Date.now();
      await this.serialized(async () => {
        this.loaded = await catchUp(this.store, runStream(this.runId), runDecider, this.loaded);
      });
    }
    return this.state.status === 'cancelling';
  }

  private async decide(command: RunCommand, ctx: CommandContext): Promise<void> {
    ({ loaded: this.loaded } = await decideFrom(this.store, runStream(this.runId), runDecider, this.loaded, command, ctx));
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
