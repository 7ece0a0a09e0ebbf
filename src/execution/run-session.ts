import { DomainError } from '../core/errors.js';
import { type EventStore, WrongExpectedRevisionError } from '../core/event-store.js';
import type { CommandContext } from '../core/write-path.js';
import { toNewEvent } from '../core/write-path.js';
import type { FinalRunStatus } from '../jobs/job.model.js';
import { type LogLevel, type RunCommand, type RunEvent, type RunOwner, type RunState, runDecider, runStream } from '../runs/run.decider.js';

const CANCEL_CHECK_MS = 300;

/**
 * The owning worker's handle on a run it claimed. It keeps the stream's revision, so recording a step or a
 * log line is one append at the expected revision; on a conflict (a cancel request, a recovery) it reads
 * only the new events, re-decides, and tries again. Appends from parallel tasks go one at a time.
 */
export class RunSession {
  private queue: Promise<unknown> = Promise.resolve();
  private lastCancelCheck = 0;
  private slot = 0;

  private constructor(
    private readonly store: EventStore,
    readonly runId: string,
    private state: Extract<RunState, { runId: string }>,
    private revision: number,
    private readonly ctx: CommandContext,
  ) {}

  /** Claims a queued run; only one caller wins (the others get RUN.ALREADY_CLAIMED). */
  static async claim(store: EventStore, runId: string, owner: RunOwner, ctx: CommandContext): Promise<RunSession> {
    const recorded = await store.readStream(runStream(runId));
    const state = recorded.reduce((s, e) => runDecider.evolve(s, e as unknown as RunEvent), runDecider.initialState);
    const events = runDecider.decide({ type: 'StartRun', data: { owner } }, state);
    const revision = recorded[recorded.length - 1].revision;
    try {
      const result = await store.append(runStream(runId), events.map((e, i) => toNewEvent(e, ctx, `${runId}:claim:${i}`)), revision);
      return new RunSession(store, runId, events.reduce(runDecider.evolve, state) as RunSession['state'], result.revision, ctx);
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) throw new DomainError('RUN.ALREADY_CLAIMED', `Run ${runId} was claimed by another worker`);
      throw error;
    }
  }

  get plan() {
    return this.state.plan;
  }

  get watermarks() {
    return this.state.watermarks;
  }

  log(level: LogLevel, message: string, taskId?: string): Promise<void> {
    return this.record([{ type: 'RunLogged', data: { runId: this.runId, jobId: this.state.jobId, level, message, ...(taskId ? { taskId } : {}) } }]);
  }

  record(events: Extract<RunCommand, { type: 'Record' }>['data']['events']): Promise<void> {
    return this.decide({ type: 'Record', data: { events } });
  }

  finish(status: FinalRunStatus, durationMs: number, error?: string): Promise<void> {
    return this.decide({ type: 'FinishRun', data: { status, durationMs, ...(error ? { error } : {}) } });
  }

  /** True once a cancel was requested; looks at the stream at most every 300 ms. */
  async cancelRequested(): Promise<boolean> {
    if (Date.now() - this.lastCancelCheck >= CANCEL_CHECK_MS) {
      this.lastCancelCheck = Date.now();
      await this.serialized(() => this.catchUp());
    }
    return this.state.status === 'cancelling';
  }

  private decide(command: RunCommand): Promise<void> {
    return this.serialized(async () => {
      for (let attempt = 0; attempt < 10; attempt++) {
        const events = runDecider.decide(command, this.state);
        if (events.length === 0) return;
        try {
          const result = await this.store.append(
            runStream(this.runId),
            events.map((e, i) => toNewEvent(e, this.ctx, `${this.runId}:${this.slot}:${i}`)),
            this.revision,
          );
          this.slot++;
          this.revision = result.revision;
          this.state = events.reduce(runDecider.evolve, this.state) as RunSession['state'];
          return;
        } catch (error) {
          if (!(error instanceof WrongExpectedRevisionError)) throw error;
          await this.catchUp();
        }
      }
      throw new DomainError('CONCURRENCY.CONFLICT', `Run ${this.runId} kept changing under its worker`);
    });
  }

  private async catchUp(): Promise<void> {
    const fresh = await this.store.readStream(runStream(this.runId), { fromRevision: this.revision + 1 });
    for (const e of fresh) {
      this.state = runDecider.evolve(this.state, e as unknown as RunEvent) as RunSession['state'];
      this.revision = e.revision;
    }
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
