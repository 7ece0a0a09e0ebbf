import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_STORE, type EventStore, type Subscription } from '../core/event-store.js';
import type { RecordedEvent } from '../core/events.js';

/** One open stream's interest in the log: every event it is handed, and a call when the log stops for good. */
export interface LiveListener {
  event(event: RecordedEvent): void;
  closed(): void;
}

const MAX_BACKOFF_MS = 5000;

/**
 * The process's one live subscription to the log, shared by every open tail: it starts at the head when
 * the first tail opens, and hands each appended event to the tails of its stream (or of every stream).
 * Backlogs are not its business: a tail reads those from the store after it is listening here.
 */
@Injectable()
export class LiveLog implements BeforeApplicationShutdown {
  private readonly logger = new Logger('LiveLog');
  private readonly byStream = new Map<string, Set<LiveListener>>();
  private readonly everything = new Set<LiveListener>();
  private following?: Promise<void>;
  private subscription?: Subscription;
  private stopped = false;
  private wake?: () => void;

  constructor(@Inject(EVENT_STORE) private readonly events: EventStore) {}

  /**
   * Hands `listener` every event appended to `stream` (to any stream when undefined) from the moment this
   * resolves, until the returned function is called. Anything appended before that is in the store.
   */
  async listen(stream: string | undefined, listener: LiveListener): Promise<() => void> {
    if (this.stopped) throw new Error('The live log has stopped: the app is shutting down');
    const set = stream === undefined ? this.everything : this.byStream.get(stream) ?? new Set();
    if (stream !== undefined) this.byStream.set(stream, set);
    set.add(listener);
    // A start that failed (the store was down) is tried again by the next listener, not kept for good.
    this.following ??= this.start().catch((error) => {
      this.following = undefined;
      throw error;
    });
    try {
      await this.following;
    } catch (error) {
      set.delete(listener);
      throw error;
    }
    return () => {
      set.delete(listener);
      if (stream !== undefined && set.size === 0 && this.byStream.get(stream) === set) this.byStream.delete(stream);
    };
  }

  /** How many tails are listening: what a client that left must no longer count in. */
  get listeners(): number {
    let n = this.everything.size;
    for (const set of this.byStream.values()) n += set.size;
    return n;
  }

  /** Closes every open tail and the subscription, so shutdown does not wait on streams that never end. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.subscription?.close();
    const all = [...this.everything, ...[...this.byStream.values()].flatMap((set) => [...set])];
    this.everything.clear();
    this.byStream.clear();
    for (const listener of all) listener.closed();
  }

  /** Resolves once the head is known: events after it will be delivered. */
  private async start(): Promise<void> {
    const head = await this.events.lastPosition();
    void this.follow(head);
  }

  /** Follows the log from `after`, resubscribing from the last event delivered when the subscription fails. */
  private async follow(after: string | undefined): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      const subscription = this.events.subscribeToAll({ after });
      this.subscription = subscription;
      try {
        for await (const event of subscription) {
          after = event.position;
          backoff = 100;
          this.deliver(event);
        }
      } catch (error) {
        if (!this.stopped) this.logger.warn(`The live subscription failed at ${after ?? 'the start'}: ${(error as Error).message}; resubscribing in ${backoff} ms`);
      } finally {
        await subscription.close();
      }
      if (this.stopped) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, backoff).unref();
      });
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  private deliver(event: RecordedEvent): void {
    for (const listener of this.byStream.get(event.stream) ?? []) this.handTo(listener, event);
    for (const listener of this.everything) this.handTo(listener, event);
  }

  /** A tail that throws must not stop the others. */
  private handTo(listener: LiveListener, event: RecordedEvent): void {
    try {
      listener.event(event);
    } catch (error) {
      this.logger.error(`A tail failed on event ${event.position}: ${(error as Error).message}`);
    }
  }
}
