import { randomUUID } from 'node:crypto';
import { comparePositions, type RecordedEvent } from '../src/core/events.js';
import type { EventStore } from '../src/core/event-store.js';
import { type CheckpointUpdate, CheckpointMovedError, type DocWrite, type IndexSpec, type ReadStore } from '../src/core/read-store.js';
import { collectionsOf, earliest, newTo, type Projection, ProjectionTx, yieldToEventLoop } from './projection.js';
import { StreamStates } from './stream-states.js';

/**
 * Events per rebuild batch. Larger than the live runner's: every document a batch touches is read and
 * written once per batch, so fewer, larger batches mean fewer JSON round trips for busy documents (runs).
 */
export const REBUILD_BATCH = 2000;

/** A replay or verify that was told to stop between two batches (the service is shutting down). */
export class RebuildStoppedError extends Error {
  constructor() {
    super('stopped: the service is shutting down');
    this.name = 'RebuildStoppedError';
  }
}

/**
 * A projection's read model built from the log into scratch collections (`<collection><suffix>`),
 * apart from the live ones; it can be caught up further, swapped in, or dropped.
 *
 * Two rebuilds of one read model (an instance that lost its lease while rebuilding, and the one that took
 * it over) would share the scratch collections. Each claims them with a token of its own in a checkpoint
 * (`owner`) and every write, the swap and the drop expect that token: the one claimed over stops with
 * CheckpointMovedError and leaves the other's collections alone.
 */
export class ScratchModel {
  /** The last event applied; undefined: none yet. */
  position: string | undefined;
  events = 0;
  private applied: RecordedEvent[] = [];
  private readonly token = randomUUID();
  private readonly owner: string;

  constructor(
    readonly store: ReadStore,
    readonly projection: Projection,
    private readonly suffix: string,
  ) {
    this.owner = `~scratch:${projection.name}${suffix}`;
  }

  physical = (collection: string) => `${collection}${this.suffix}`;

  /** The checkpoint update that holds only while these scratch collections are still this model's. */
  get held(): CheckpointUpdate {
    return { projection: this.owner, expected: this.token, position: this.token };
  }

  /**
   * Claims the scratch collections and empties them, without the read model's plain indexes yet: built once
   * over all the documents (see swapIn), they cost less than kept up to date through every write of the rebuild.
   */
  async reset(): Promise<void> {
    await this.store.write([], [{ ...this.held, expected: await this.store.checkpoint(this.owner) }]);
    for (const [name, indexes] of Object.entries(collectionsOf(this.projection))) {
      await this.store.dropCollection(this.physical(name));
      await this.store.ensureCollection(this.physical(name), indexes.filter(shapesCollection));
    }
    this.position = undefined;
    this.events = 0;
  }

  /**
   * Applies one batch (the events after this model's position) and answers the document writes to commit;
   * `committed` then moves the model on. The catch-up commits every model's writes of a batch together.
   */
  async applyBatch(batch: RecordedEvent[], streams: StreamStates): Promise<DocWrite[]> {
    const fresh = newTo(batch, this.position);
    if (fresh.length === 0) return [];
    const tx = new ProjectionTx(this.store, this.projection, { physical: this.physical, inOrder: true, streams });
    for (const event of fresh) await tx.apply(event);
    this.applied = fresh;
    return tx.writes();
  }

  committed(): void {
    if (!this.applied.length) return;
    this.position = this.applied[this.applied.length - 1].position;
    this.events += this.applied.length;
    this.applied = [];
  }

  /**
   * Replaces the live collections by the scratch ones, with this model's position as the checkpoint, then
   * builds their indexes. Built after the swap, since a swap on SQLite recreates indexes under the live
   * names anyway (index names are global there): queries in the moment between are right, only slower.
   */
  async swapIn(): Promise<void> {
    const collections = collectionsOf(this.projection);
    const renames = Object.keys(collections).map((c) => ({ from: this.physical(c), to: c }));
    await this.store.swap(renames, { projection: this.projection.name, position: this.position ?? null }, { ...this.held, position: null });
    for (const [name, indexes] of Object.entries(collections)) await this.store.ensureCollection(name, indexes);
  }

  /** Drops the scratch collections, unless another model has claimed them since. */
  async drop(): Promise<void> {
    try {
      await this.store.write([], [this.held]);
    } catch (error) {
      if (error instanceof CheckpointMovedError) return;
      throw error;
    }
    for (const name of Object.keys(collectionsOf(this.projection))) await this.store.dropCollection(this.physical(name));
    await this.store.write([], [{ ...this.held, position: null }]).catch(() => undefined);
  }
}

/** A text index shapes its collection from the start (on SQLite, the table's rowid), so it is declared with it. */
const shapesCollection = (index: IndexSpec & { text?: boolean }) => index.text === true;

export interface CatchUpOptions {
  /** Inclusive: stop after the event at this position. Omitted: read to the end of the log. */
  until?: string;
  onProgress?: (events: number, position: string) => void;
  /** Checked between batches: true stops the work with RebuildStoppedError. */
  stopped?: () => boolean;
}

/**
 * Feeds the log to several scratch models in one pass, from the earliest of their positions, so a rebuild
 * of every read model reads (and parses, and upcasts) each event once rather than once per model.
 */
export async function catchUp(events: EventStore, models: ScratchModel[], options: CatchUpOptions = {}): Promise<void> {
  if (models.length === 0) return;
  const { until, onProgress, stopped } = options;
  let position = earliest(models.map((m) => m.position));
  let count = 0;
  const streams = new StreamStates(events);
  while (until === undefined || comparePositions(position, until) < 0) {
    if (stopped?.()) throw new RebuildStoppedError();
    let batch = await events.readAll({ after: position, maxCount: REBUILD_BATCH });
    if (until !== undefined && comparePositions(batch.at(-1)?.position, until) > 0) batch = batch.filter((e) => comparePositions(e.position, until) <= 0);
    if (batch.length === 0) break;
    const writes: DocWrite[] = [];
    for (const model of models) writes.push(...(await model.applyBatch(batch, streams)));
    // One commit per batch for all models: each commit of a store's file waits for the disk.
    await models[0].store.write(writes, models.map((m) => m.held));
    for (const model of models) model.committed();
    position = batch[batch.length - 1].position;
    count += batch.length;
    onProgress?.(count, position);
    // A rebuild inside the running service must not starve its requests.
    await yieldToEventLoop();
  }
}
