import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Logger } from '@nestjs/common';
import { comparePositions, type RecordedEvent } from '../src/core/events.js';
import type { EventStore, Subscription } from '../src/core/event-store.js';
import type { ProjectionStatus, ReadModelProgress } from '../src/core/read-model-progress.js';
import { CheckpointMovedError, type ReadStore } from '../src/core/read-store.js';
import { collectionsOf, type Projection, ProjectionTx } from './projection.js';
import { rebuildAndSwap } from './rebuild.js';

/** Events per committed batch: bounded, so catching up gives the event loop back between batches. */
export const BATCH = 500;
/** How often an instance that does not hold a projection's lease re-reads its checkpoint. */
const FOLLOWER_POLL_MS = 200;

export interface RunnerOptions {
  /** How long a projection's lease lasts unless renewed (renewed every third of it). */
  leaseMs?: number;
  /** This instance's name in the leases. */
  owner?: string;
}

/** An event the projection could not apply: it is retried, never skipped. */
export class ProjectionFailedError extends Error {
  constructor(
    readonly projection: string,
    readonly event: RecordedEvent,
    readonly cause: unknown,
  ) {
    super(`event ${event.position} (${event.type}) failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ProjectionFailedError';
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Keeps every projection's read model up to date: catches up from its checkpoint, follows live appends,
 * and commits each batch of documents with the new checkpoint in one write. One instance at a time runs a
 * projection (it holds the projection's lease in the read store); the others follow its checkpoint. A
 * checkpoint moved by another writer (a rebuild swapped in, an instance whose lease ran out) makes it
 * re-read the checkpoint and go on from there.
 */
export class ProjectionRunner implements ReadModelProgress {
  private readonly logger = new Logger('Projections');
  private readonly positions = new Map<string, string | null>();
  private readonly leading = new Set<string>();
  private readonly stalls = new Map<string, NonNullable<ProjectionStatus['stalled']>>();
  private readonly subscriptions = new Map<string, Subscription>();
  private waiters: Array<{ position: string; resolve: (reached: boolean) => void }> = [];
  private running = false;
  private readonly sleepers = new Set<() => void>();
  private loops: Promise<void>[] = [];
  private readonly leaseMs: number;
  private readonly owner: string;

  constructor(
    private readonly events: EventStore,
    private readonly store: ReadStore,
    readonly projections: Projection[],
    options: RunnerOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 10_000;
    this.owner = options.owner ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  }

  /** Creates the read models' collections and indexes, so queries can run before the first event is applied. */
  async prepare(): Promise<void> {
    for (const p of this.projections) {
      for (const [name, indexes] of Object.entries(collectionsOf(p))) await this.store.ensureCollection(name, indexes);
    }
  }

  async start(): Promise<void> {
    await this.prepare();
    this.running = true;
    for (const p of this.projections) this.positions.set(p.name, await this.store.checkpoint(p.name));
    this.loops = this.projections.map((p) => this.run(p));
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const wake of this.sleepers) wake();
    await Promise.all([...this.subscriptions.values()].map((s) => s.close()));
    await Promise.all(this.loops);
    for (const w of this.waiters) w.resolve(false);
    this.waiters = [];
  }

  waitFor(position: string | undefined, timeoutMs = 5000): Promise<boolean> {
    if (position === undefined || this.reached(position)) return Promise.resolve(true);
    if (!this.running) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = { position, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs).unref();
    });
  }

  async status(): Promise<ProjectionStatus[]> {
    const head = (await this.events.lastPosition()) ?? null;
    return this.projections.map((p) => {
      const checkpoint = this.positions.get(p.name) ?? null;
      const behind = head !== null && comparePositions(checkpoint ?? undefined, head) < 0;
      // Embedded positions number the events; EventStoreDB's are byte offsets, not a count.
      const counted = /^\d+$/.test(head ?? '') && /^\d+$/.test(checkpoint ?? '0');
      return {
        name: p.name,
        checkpoint,
        head,
        behind,
        ...(counted ? { eventsBehind: Math.max(0, Number(head) - Number(checkpoint ?? 0)) } : {}),
        leader: this.leading.has(p.name),
        ...(this.stalls.has(p.name) ? { stalled: this.stalls.get(p.name) } : {}),
      };
    });
  }

  private reached(position: string): boolean {
    return [...this.positions.values()].every((p) => p !== null && comparePositions(p, position) >= 0);
  }

  private advance(p: Projection, position: string | null): void {
    this.positions.set(p.name, position);
    this.waiters = this.waiters.filter((w) => (this.reached(w.position) ? (w.resolve(true), false) : true));
  }

  /** Waits `ms`, or less when the runner stops. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  /** Leads the projection while this instance holds its lease; otherwise follows the leader's checkpoint. */
  private async run(p: Projection): Promise<void> {
    const lease = `projection:${p.name}`;
    while (this.running) {
      try {
        if (await this.store.acquireLease(lease, this.owner, this.leaseMs)) {
          await this.lead(p, lease);
          continue;
        }
        this.advance(p, await this.store.checkpoint(p.name));
      } catch (error) {
        this.logger.error(`Projection ${p.name}: ${(error as Error).message}`);
      }
      await this.pause(FOLLOWER_POLL_MS);
    }
  }

  private async lead(p: Projection, lease: string): Promise<void> {
    this.leading.add(p.name);
    const renew = setInterval(() => {
      this.store.acquireLease(lease, this.owner, this.leaseMs).then(
        (held) => {
          if (held || !this.leading.delete(p.name)) return;
          this.logger.warn(`Projection ${p.name}: lease taken over by another instance`);
          void this.subscriptions.get(p.name)?.close();
        },
        (error) => this.logger.warn(`Projection ${p.name}: could not renew its lease: ${(error as Error).message}`),
      );
    }, this.leaseMs / 3);
    try {
      await this.follow(p);
    } finally {
      clearInterval(renew);
      // A stall is the leader's to report: whoever leads next finds out for itself.
      this.stalls.delete(p.name);
      if (this.leading.delete(p.name)) await this.store.releaseLease(lease, this.owner).catch(() => undefined);
    }
  }

  private async follow(p: Projection): Promise<void> {
    let backoff = 100;
    while (this.running && this.leading.has(p.name)) {
      try {
        await this.followOnce(p);
        backoff = 100;
      } catch (error) {
        if (!this.running) return;
        if (error instanceof CheckpointMovedError) continue;
        const failed = error instanceof ProjectionFailedError ? error.event : undefined;
        const reason = error instanceof ProjectionFailedError && error.cause instanceof Error ? error.cause.message : (error as Error).message;
        this.stalls.set(p.name, { reason, since: this.stalls.get(p.name)?.since ?? new Date().toISOString(), ...(failed ? { position: failed.position, type: failed.type } : {}) });
        this.logger.error(
          `Projection ${p.name} stalled${failed ? ` at event ${failed.position} (${failed.type})` : ''}: ${reason}; retrying in ${backoff} ms`,
        );
        await this.pause(backoff);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  private async followOnce(p: Projection): Promise<void> {
    const checkpoint = await this.store.checkpoint(p.name);
    this.advance(p, checkpoint);
    const subscription = this.events.subscribeToAll({ after: checkpoint ?? undefined });
    this.subscriptions.set(p.name, subscription);
    const queue: RecordedEvent[] = [];
    let chain = Promise.resolve();
    let failure: unknown;
    const flush = () => {
      const batch = queue.splice(0);
      if (batch.length === 0 || failure) return chain;
      chain = chain
        .then(() => this.commit(p, batch))
        .catch((error) => {
          failure ??= error;
          void subscription.close();
        });
      return chain;
    };
    try {
      for await (const event of subscription) {
        if (failure || !this.running || !this.leading.has(p.name)) break;
        queue.push(event);
        if (queue.length >= BATCH) await flush();
        else if (queue.length === 1) setImmediate(flush);
      }
      await flush();
    } finally {
      this.subscriptions.delete(p.name);
      await subscription.close();
    }
    if (failure) throw failure;
  }

  private async commit(p: Projection, batch: RecordedEvent[]): Promise<void> {
    const tx = new ProjectionTx(this.store, p);
    for (const event of batch) {
      try {
        await tx.apply(event);
      } catch (error) {
        throw new ProjectionFailedError(p.name, event, error);
      }
    }
    const position = batch[batch.length - 1].position;
    await this.store.write(tx.writes(), { projection: p.name, expected: this.positions.get(p.name) ?? null, position });
    this.stalls.delete(p.name);
    this.advance(p, position);
    // Catching up reads the log without waiting for I/O: let requests in between batches.
    await yieldToEventLoop();
  }

  /**
   * Rebuilds a projection from position 0 into fresh collections, then swaps them in with the new
   * checkpoint. A live runner in this or another process notices the moved checkpoint and follows on.
   */
  async rebuild(p: Projection, onProgress?: (events: number, position: string) => void): Promise<{ events: number; position: string | null }> {
    const [model] = await rebuildAndSwap(this.events, this.store, [p], { onProgress });
    return { events: model.events, position: model.position ?? null };
  }
}
