import { Logger } from '@nestjs/common';
import { comparePositions, type RecordedEvent } from '../src/core/events.js';
import type { EventStore, Subscription } from '../src/core/event-store.js';
import { CheckpointMovedError, type ReadStore } from '../src/core/read-store.js';
import { type Projection, ProjectionTx } from './projection.js';

const BATCH = 1000;
const REBUILD_SUFFIX = '__rebuild';

/**
 * Keeps every projection's read model up to date: catches up from its checkpoint, follows live appends,
 * and commits each batch of documents with the new checkpoint in one write. A checkpoint moved by another
 * writer (a rebuild swapped in, another instance) makes it re-read the checkpoint and go on from there.
 */
export class ProjectionRunner {
  private readonly logger = new Logger('Projections');
  private readonly positions = new Map<string, string | null>();
  private readonly subscriptions = new Set<Subscription>();
  private waiters: Array<{ position: string; resolve: () => void }> = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly events: EventStore,
    private readonly store: ReadStore,
    readonly projections: Projection[],
  ) {}

  /** Creates the read models' collections and indexes, so queries can run before the first event is applied. */
  async prepare(): Promise<void> {
    for (const p of this.projections) {
      for (const [name, indexes] of Object.entries(p.collections)) await this.store.ensureCollection(name, indexes);
    }
  }

  async start(): Promise<void> {
    await this.prepare();
    this.running = true;
    for (const p of this.projections) this.positions.set(p.name, await this.store.checkpoint(p.name));
    this.loops = this.projections.map((p) => this.follow(p));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await Promise.all(this.loops);
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }

  /** Resolves once every projection has applied the event at `position` (or after the timeout). */
  waitFor(position: string | undefined, timeoutMs = 5000): Promise<void> {
    if (position === undefined || this.reached(position)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { position, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      }, timeoutMs).unref();
    });
  }

  private reached(position: string): boolean {
    return [...this.positions.values()].every((p) => p !== null && comparePositions(p, position) >= 0);
  }

  private async follow(p: Projection): Promise<void> {
    let backoff = 100;
    while (this.running) {
      try {
        await this.followOnce(p);
        backoff = 100;
      } catch (error) {
        if (!this.running) return;
        if (!(error instanceof CheckpointMovedError)) {
          this.logger.error(`Projection ${p.name} failed, retrying in ${backoff} ms: ${(error as Error).message}`);
          await new Promise((r) => setTimeout(r, backoff));
          backoff = Math.min(backoff * 2, 10_000);
        }
      }
    }
  }

  private async followOnce(p: Projection): Promise<void> {
    const checkpoint = await this.store.checkpoint(p.name);
    this.positions.set(p.name, checkpoint);
    const subscription = this.events.subscribeToAll({ after: checkpoint ?? undefined });
    this.subscriptions.add(subscription);
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
        if (failure || !this.running) break;
        queue.push(event);
        if (queue.length >= BATCH) await flush();
        else if (queue.length === 1) setImmediate(flush);
      }
      await flush();
    } finally {
      this.subscriptions.delete(subscription);
      await subscription.close();
    }
    if (failure) throw failure;
  }

  private async commit(p: Projection, batch: RecordedEvent[]): Promise<void> {
    const tx = new ProjectionTx(this.store);
    for (const event of batch) await p.apply(event, tx);
    const position = batch[batch.length - 1].position;
    await this.store.write(tx.writes(), { projection: p.name, expected: this.positions.get(p.name) ?? null, position });
    this.positions.set(p.name, position);
    this.waiters = this.waiters.filter((w) => (this.reached(w.position) ? (w.resolve(), false) : true));
  }

  /**
   * Rebuilds a projection from position 0 into fresh collections, then swaps them in with the new
   * checkpoint. A live runner in this or another process notices the moved checkpoint and follows on.
   */
  async rebuild(p: Projection, onProgress?: (events: number, position: string) => void): Promise<{ events: number; position: string | null }> {
    const physical = (c: string) => `${c}${REBUILD_SUFFIX}`;
    for (const [name, indexes] of Object.entries(p.collections)) {
      await this.store.dropCollection(physical(name));
      await this.store.ensureCollection(physical(name), indexes);
    }
    let position: string | undefined;
    let count = 0;
    for (;;) {
      const batch = await this.events.readAll({ after: position, maxCount: BATCH });
      if (batch.length === 0) break;
      const tx = new ProjectionTx(this.store, physical);
      for (const event of batch) await p.apply(event, tx);
      await this.store.write(tx.writes());
      position = batch[batch.length - 1].position;
      count += batch.length;
      onProgress?.(count, position);
    }
    const renames = Object.keys(p.collections).map((c) => ({ from: physical(c), to: c }));
    await this.store.swap(renames, { projection: p.name, position: position ?? null });
    return { events: count, position: position ?? null };
  }
}
