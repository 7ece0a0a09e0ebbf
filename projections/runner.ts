import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Logger } from '@nestjs/common';
import { comparePositions, type RecordedEvent } from '../src/core/events.js';
import type { EventStore, Subscription } from '../src/core/event-store.js';
import type { ProjectionStatus, ReadModelProgress } from '../src/core/read-model-progress.js';
import { type CheckpointUpdate, CheckpointMovedError, type DocWrite, type ReadStore, SWAPPED } from '../src/core/read-store.js';
import { DocCache } from './doc-cache.js';
import { StreamStates } from './stream-states.js';
import { collectionsOf, earliest, newTo, type Projection, ProjectionTx, yieldToEventLoop } from './projection.js';
import { rebuildAndSwap } from './rebuild.js';
import { RebuildStoppedError } from './scratch.js';

/** Events per committed batch while following live appends: small, so a command's answer waits for little. */
export const BATCH = 500;
/**
 * While catching up (every batch full), batches double up to this, as long as a commit takes less than
 * COMMIT_TARGET_MS: a larger commit writes each document page once for more events. Applying a batch lets
 * requests in every APPLY_SLICE_MS; its commit holds the event loop.
 */
const CATCH_UP_BATCH = 32_000;
const COMMIT_TARGET_MS = 100;
const APPLY_SLICE_MS = 20;
/** The lease of the instance that runs the projections. */
const LEASE = 'projections';
/** How often the leader looks whether a stalled projection is due to retry. */
const RETRY_CHECK_MS = 100;
/** How often an instance that does not hold the lease re-reads the checkpoints. */
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

/**
 * Keeps every projection's read model up to date with one reader: it catches up from the earliest
 * checkpoint, follows live appends, and applies each batch of events to every projection, committing all
 * their documents and checkpoints in one write. One instance at a time leads (it holds the lease in the
 * read store); the others follow the checkpoints. A checkpoint moved by another writer (a rebuild swapped
 * in, an instance whose lease ran out) makes it re-read the checkpoints and go on from there. A projection
 * that fails on an event stalls alone: the others go on, and it retries from its checkpoint after a backoff.
 */
export class ProjectionRunner implements ReadModelProgress {
  private readonly logger = new Logger('Projections');
  private readonly positions = new Map<string, string | null>();
  private leading = false;
  private readonly stalls = new Map<string, NonNullable<ProjectionStatus['stalled']> & { retryAt: number; backoff: number; rebuild?: true }>();
  /** Projections that failed during the current read of the log: they wait for the next one, from their checkpoint. */
  private readonly stalledInRead = new Set<string>();
  /** How long the last batch's commit took: catch-up batches grow only while it is short. */
  private lastCommitMs = 0;
  private subscription?: Subscription;
  private waiters: Array<{ position: string; resolve: (reached: boolean) => void }> = [];
  private readonly appliedListeners = new Set<(events: RecordedEvent[]) => void>();
  private running = false;
  private readonly sleepers = new Set<() => void>();
  private loop: Promise<void> = Promise.resolve();
  private readonly leaseMs: number;
  private readonly owner: string;
  private readonly cache: DocCache;
  private readonly streams: StreamStates;
  /** The store commits documents with checkpoints atomically: every event read after a checkpoint is newer than any document. */
  private atomic = false;
  /** SWAPPED's checkpoint when the cache was last known good. */
  private swapped: string | null = null;
  /** Read models known to be built by their projection's version (see reshape). */
  private readonly current = new Set<string>();
  /** Read models being rebuilt for their projection's version, in the background: they sit out until swapped in. */
  private readonly reshaping = new Map<string, Promise<void>>();

  constructor(
    private readonly events: EventStore,
    private readonly store: ReadStore,
    readonly projections: Projection[],
    options: RunnerOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 10_000;
    this.owner = options.owner ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
    // A retention deletes from its projection's collections on its own: those are always read from the store.
    const expiring = projections.filter((p) => p.expire).flatMap((p) => Object.keys(collectionsOf(p)));
    this.cache = new DocCache(store, new Set(expiring));
    this.streams = new StreamStates(events);
  }

  /** Creates the read models' collections and indexes, so queries can run before the first event is applied. */
  async prepare(): Promise<void> {
    for (const p of this.projections) {
      for (const [name, indexes] of Object.entries(collectionsOf(p))) await this.store.ensureCollection(name, indexes);
      for (const name of p.retired ?? []) await this.store.dropCollection(name);
    }
  }

  async start(): Promise<void> {
    await this.prepare();
    this.running = true;
    await this.readCheckpoints();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const wake of this.sleepers) wake();
    await this.subscription?.close();
    await this.loop;
    await Promise.all(this.reshaping.values());
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

  onApplied(listener: (events: RecordedEvent[]) => void): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  async status(): Promise<ProjectionStatus[]> {
    const head = (await this.events.lastPosition()) ?? null;
    return this.projections.map((p) => {
      const checkpoint = this.positions.get(p.name) ?? null;
      const behind = head !== null && comparePositions(checkpoint ?? undefined, head) < 0;
      // Embedded positions number the events; EventStoreDB's are byte offsets, not a count.
      const counted = /^\d+$/.test(head ?? '') && /^\d+$/.test(checkpoint ?? '0');
      const stall = this.stalls.get(p.name);
      return {
        name: p.name,
        checkpoint,
        head,
        behind,
        ...(counted ? { eventsBehind: Math.max(0, Number(head) - Number(checkpoint ?? 0)) } : {}),
        leader: this.leading,
        ...(stall ? { stalled: { reason: stall.reason, since: stall.since, ...(stall.position ? { position: stall.position, type: stall.type } : {}) } } : {}),
      };
    });
  }

  private reached(position: string): boolean {
    return [...this.positions.values()].every((p) => p !== null && comparePositions(p, position) >= 0);
  }

  private advance(name: string, position: string | null): void {
    this.positions.set(name, position);
    this.waiters = this.waiters.filter((w) => (this.reached(w.position) ? (w.resolve(true), false) : true));
  }

  private async readCheckpoints(): Promise<void> {
    for (const p of this.projections) this.advance(p.name, await this.store.checkpoint(p.name));
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

  /** Leads while this instance holds the lease; otherwise follows the leader's checkpoints. */
  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (await this.store.acquireLease(LEASE, this.owner, this.leaseMs)) {
          await this.lead();
          continue;
        }
        await this.readCheckpoints();
      } catch (error) {
        this.logger.error(`Projections: ${(error as Error).message}`);
      }
      await this.pause(FOLLOWER_POLL_MS);
    }
  }

  private async lead(): Promise<void> {
    this.leading = true;
    const renew = setInterval(() => {
      this.store.acquireLease(LEASE, this.owner, this.leaseMs).then(
        (held) => {
          if (held || !this.leading) return;
          this.leading = false;
          this.logger.warn('Projections: lease taken over by another instance');
          void this.subscription?.close();
        },
        (error) => this.logger.warn(`Projections: could not renew the lease: ${(error as Error).message}`),
      );
    }, this.leaseMs / 3);
    try {
      await this.follow();
    } finally {
      clearInterval(renew);
      this.cache.clear();
      // A stall is the leader's to report: whoever leads next finds out for itself.
      this.stalls.clear();
      if (this.leading) {
        this.leading = false;
        await this.store.releaseLease(LEASE, this.owner).catch(() => undefined);
      }
    }
  }

  /**
   * Starts a rebuild of each read model built by another version of its projection (in the background, so
   * the others go on following the log), unless one is running or failed and waits for its retry.
   */
  private async checkShapes(due: (name: string) => boolean): Promise<void> {
    for (const p of this.projections) {
      if (this.current.has(p.name) || this.reshaping.has(p.name) || !due(p.name)) continue;
      const key = `~version:${p.name}`;
      const wanted = String(p.version ?? 1);
      const stored = await this.store.checkpoint(key);
      // A model built before versions were kept was built by version 1; one never built has none.
      const built = stored ?? ((await this.store.checkpoint(p.name)) === null ? null : '1');
      if (built !== null && built !== wanted) {
        this.reshaping.set(p.name, this.reshape(p, { key, stored, built, wanted }));
        continue;
      }
      if (stored !== wanted) await this.store.write([], [{ projection: key, expected: stored, position: wanted }]);
      this.current.add(p.name);
    }
  }

  /** Rebuilds one read model for its projection's version and swaps it in; a failure stalls that one alone. */
  private async reshape(p: Projection, version: { key: string; stored: string | null; built: string; wanted: string }): Promise<void> {
    const { key, stored, built, wanted } = version;
    this.logger.log(`Rebuilding the ${p.name} read model: its documents were built by version ${built} of its projection, this is version ${wanted}`);
    try {
      // Stops when this runner stops or loses the lease: the instance leading next starts it again.
      await rebuildAndSwap(this.events, this.store, [p], { stopped: () => !this.running || !this.leading });
      await this.store.write([], [{ projection: key, expected: stored, position: wanted }]);
      this.current.add(p.name);
      this.stalls.delete(p.name);
      this.logger.log(`Rebuilt the ${p.name} read model for version ${wanted}`);
    } catch (error) {
      // Stopped, or another instance's rebuild took the scratch collections over: whoever leads goes on.
      if (error instanceof RebuildStoppedError || error instanceof CheckpointMovedError) return;
      const previous = this.stalls.get(p.name);
      const backoff = Math.min((previous?.backoff || 500) * 2, 60_000);
      const reason = `Rebuilding it for version ${wanted} of its projection failed: ${(error as Error).message}`;
      this.stalls.set(p.name, { reason, since: previous?.since ?? new Date().toISOString(), retryAt: Date.now() + backoff, backoff, rebuild: true });
      this.logger.error(`Projection ${p.name}: ${reason}; retrying in ${backoff} ms`);
    } finally {
      this.reshaping.delete(p.name);
      // The read under way leaves it out: read again, with it from its new checkpoint.
      void this.subscription?.close();
    }
  }

  private async follow(): Promise<void> {
    let backoff = 100;
    while (this.running && this.leading) {
      try {
        await this.followOnce();
        backoff = 100;
      } catch (error) {
        this.cache.clear();
        if (!this.running) return;
        if (error instanceof CheckpointMovedError) continue;
        const reason = (error as Error).message;
        // Not one projection's event: the log or the read store failed them all, until a commit goes through.
        const since = new Date().toISOString();
        for (const p of this.projections) if (!this.stalls.has(p.name)) this.stalls.set(p.name, { reason, since, retryAt: 0, backoff: 0 });
        this.logger.error(`Projections stalled: ${reason}; retrying in ${backoff} ms`);
        await this.pause(backoff);
        // At most a second apart: once a full disk has room again, answers should not wait out a long backoff.
        backoff = Math.min(backoff * 2, 1000);
      }
    }
  }

  /**
   * Reads the log once for every projection but those waiting to retry, from the earliest of their
   * checkpoints, until it fails, the lease is lost, or a stalled projection is due to retry (then it starts
   * again from that one's checkpoint).
   */
  private async followOnce(): Promise<void> {
    await this.readCheckpoints();
    this.atomic = await this.store.commitsAtomically();
    const swapped = await this.store.checkpoint(SWAPPED);
    // A rebuild swapped in (by this process or another) replaced documents this runner may hold.
    if (swapped !== this.swapped) this.cache.clear();
    this.swapped = swapped;
    // A failure of the log or the read store is over once they answer again; a projection's own stays.
    for (const [name, stall] of this.stalls) if (!stall.position && !stall.rebuild) this.stalls.delete(name);
    const due = (name: string) => (this.stalls.get(name)?.retryAt ?? 0) <= Date.now();
    await this.checkShapes(due);
    const active = this.projections.filter((p) => due(p.name) && !this.reshaping.has(p.name));
    if (active.length === 0) {
      // Until a stalled one is due, or a rebuild under way ends (it wakes the read too).
      const until = Math.min(...[...this.stalls.values()].map((s) => s.retryAt), this.reshaping.size ? Date.now() + 100 : Infinity);
      return this.pause(until - Date.now());
    }
    let read = earliest(active.map((p) => this.positions.get(p.name) ?? undefined));
    const subscription = this.events.subscribeToAll({ after: read });
    this.subscription = subscription;
    this.stalledInRead.clear();
    const retry = setInterval(() => [...this.stalledInRead].some(due) && void subscription.close(), RETRY_CHECK_MS);
    const queue: RecordedEvent[] = [];
    let chain = Promise.resolve();
    let failure: unknown;
    const flush = () => {
      const batch = queue.splice(0);
      if (batch.length === 0 || failure) return chain;
      const after = read;
      read = batch[batch.length - 1].position;
      chain = chain
        .then(() => this.commit(active, after, batch))
        .catch((error) => {
          failure ??= error;
          void subscription.close();
        });
      return chain;
    };
    let size = BATCH;
    // A batch flushed before it filled means the log's head was reached: live again.
    const flushPartial = () => {
      if (queue.length) size = BATCH;
      return flush();
    };
    try {
      for await (const event of subscription) {
        if (failure || !this.running || !this.leading) break;
        queue.push(event);
        if (queue.length >= size) {
          await flush();
          size = this.lastCommitMs < COMMIT_TARGET_MS ? Math.min(size * 2, CATCH_UP_BATCH) : Math.max(size / 2, BATCH);
        } else if (queue.length === 1) setImmediate(flushPartial);
      }
      await flush();
    } finally {
      clearInterval(retry);
      this.subscription = undefined;
      await subscription.close();
    }
    if (failure) throw failure;
  }

  /**
   * Applies a batch (the events after `after`) to every projection it is new to, and commits their documents
   * and checkpoints together. A projection behind `after` (one that stalled on an earlier batch of this read)
   * sits out: the events between its checkpoint and the batch are not in it.
   */
  private async commit(active: Projection[], after: string | undefined, batch: RecordedEvent[]): Promise<void> {
    const writes: DocWrite[] = [];
    // A swap landing while the batch is applied fails the commit: the documents it read may be gone.
    const checkpoints: CheckpointUpdate[] = [{ projection: SWAPPED, expected: this.swapped, position: this.swapped }];
    let slice = performance.now();
    for (const p of active) {
      const expected = this.positions.get(p.name) ?? null;
      if (this.stalledInRead.has(p.name) || comparePositions(expected ?? undefined, after) < 0) continue;
      const fresh = newTo(batch, expected ?? undefined);
      if (fresh.length === 0) continue;
      const tx = new ProjectionTx(this.cache, p, { streams: this.streams, inOrder: this.atomic });
      try {
        for (const event of fresh) {
          await this.applyOne(p, tx, event);
          if (performance.now() - slice > APPLY_SLICE_MS) {
            await yieldToEventLoop();
            slice = performance.now();
          }
        }
      } catch (error) {
        this.stall(error as ProjectionFailedError);
        continue;
      }
      writes.push(...tx.writes());
      checkpoints.push({ projection: p.name, expected, position: fresh[fresh.length - 1].position });
    }
    if (checkpoints.length > 1) {
      const started = performance.now();
      await this.store.write(writes, checkpoints);
      this.lastCommitMs = performance.now() - started;
      this.cache.committed(writes);
      for (const { projection, position } of checkpoints.slice(1)) {
        this.stalls.delete(projection);
        this.advance(projection, position!);
      }
      for (const listener of this.appliedListeners) listener(batch);
    }
    await yieldToEventLoop();
  }

  private async applyOne(p: Projection, tx: ProjectionTx, event: RecordedEvent): Promise<void> {
    try {
      await tx.apply(event);
    } catch (error) {
      throw new ProjectionFailedError(p.name, event, error);
    }
  }

  /** Sets a projection aside until its backoff ends; the others go on without it. */
  private stall({ projection, event, cause }: ProjectionFailedError): void {
    const previous = this.stalls.get(projection);
    const backoff = Math.min((previous?.backoff || 50) * 2, 30_000);
    const reason = cause instanceof Error ? cause.message : String(cause);
    this.stalls.set(projection, { reason, since: previous?.since ?? new Date().toISOString(), position: event.position, type: event.type, retryAt: Date.now() + backoff, backoff });
    this.stalledInRead.add(projection);
    this.logger.error(`Projection ${projection} stalled at event ${event.position} (${event.type}): ${reason}; retrying in ${backoff} ms`);
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
