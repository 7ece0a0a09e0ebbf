import type { Decider } from '../src/core/decider.js';
import { comparePositions, type DomainEvent, type RecordedEvent, sortablePosition } from '../src/core/events.js';
import type { StreamStates } from './stream-states.js';
import { APPLIED, type Doc, type DocWrite, type Filter, type IndexSpec, type ReadStore, fieldValue } from '../src/core/read-store.js';

/** One read model: the collections it owns and how each event changes them. */
export interface Projection {
  name: string;
  collections: Record<string, IndexSpec[]>;
  apply(event: RecordedEvent, tx: ProjectionTx): Promise<void>;
  /** Collections an earlier version kept and this one no longer does: dropped when the runner prepares. */
  retired?: string[];
  /**
   * The shape of its documents (1 when absent). Raise it when a change makes documents built before it wrong:
   * the leading runner rebuilds a model built with another version before it follows the log.
   */
  version?: number;
  /**
   * For a projection that keeps only recent documents (a retention): drops from the collections `physical`
   * names what it no longer keeps as of `now`, so a model built earlier and a rebuild compare fairly.
   */
  expire?(store: ReadStore, now: Date, physical?: (collection: string) => string): Promise<void>;
}

/** The events of a batch after `position` (undefined: all); only a first batch after a restart holds older ones. */
export function newTo(batch: RecordedEvent[], position: string | undefined): RecordedEvent[] {
  return comparePositions(batch[0]?.position, position) > 0 ? batch : batch.filter((e) => comparePositions(e.position, position) > 0);
}

/** The earliest of some positions (undefined: before the first event). */
export function earliest(positions: Array<string | undefined>): string | undefined {
  return positions.reduce((a, b) => (comparePositions(a, b) <= 0 ? a : b));
}

/** Catching up reads the log without waiting for I/O: a loop over batches lets requests in between them. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Where a projection remembers the position of each document it deleted, so a re-delivery cannot bring it back. */
export const tombstones = (p: Projection) => `${p.name}_deleted`;

/** Every collection a projection writes: its own and its tombstones. */
export function collectionsOf(p: Projection): Record<string, IndexSpec[]> {
  return { ...p.collections, [tombstones(p)]: [] };
}

interface Entry {
  collection: string;
  id: string;
  doc: Doc | null;
  /** Sortable position of the last event applied to the document (or that deleted it); null: none yet. */
  applied: string | null;
  changed: boolean;
  /** The event of this batch that last changed it: that event may change it again. */
  changedBy?: string;
}

/** A `deleteWhere` of the batch: `at`, the sortable position of the event that asked for it. */
interface BulkDelete {
  collection: string;
  field: string;
  values: string[];
  at: string;
}

const matches = (doc: Doc, { field, values }: BulkDelete) => (values as unknown[]).includes(fieldValue(doc, field));

/** Whether a document meets a filter of equalities and ranges (`$gte`, `$gt`, `$lte`, `$lt`): what `find` supports. */
function meets(doc: Doc, filter: Filter): boolean {
  return Object.entries(filter).every(([field, condition]) => {
    const value = fieldValue(doc, field) as string | number | undefined;
    if (condition === null || typeof condition !== 'object') return value === condition;
    const { $gte, $gt, $lte, $lt, ...other } = condition as Record<string, string | number | undefined>;
    if (Object.keys(other).length) throw new Error(`ProjectionTx.find supports equalities and ranges only, not ${Object.keys(other).join(', ')}`);
    if (value === undefined || value === null) return false;
    return ($gte === undefined || value >= $gte) && ($gt === undefined || value > $gt) && ($lte === undefined || value <= $lte) && ($lt === undefined || value < $lt);
  });
}

/**
 * The documents a batch of events touches, read once and written once. Reads see the batch's own
 * earlier writes; `writes()` is what the store commits together with the checkpoint.
 *
 * Each document carries the position of the last event applied to it, and an event at or below that
 * changes nothing: a batch delivered again, with whatever boundaries, leaves the documents as they are.
 */
export interface TxOptions {
  /** Where a collection really lives: itself, or its rebuild copy. */
  physical?: (collection: string) => string;
  /**
   * Every event is newer than anything stored (a rebuild applies each event once, in log order): a
   * document about to be replaced or deleted need not be read first, since no stored position can stop it.
   */
  inOrder?: boolean;
  /** Streams' states, for a projection that tells what each event of a stream changed. */
  streams?: StreamStates;
}

export class ProjectionTx {
  private readonly docs = new Map<string, Entry>();
  private readonly bulkDeletes: BulkDelete[] = [];
  private current = '';

  private readonly physical: (collection: string) => string;
  private readonly inOrder: boolean;
  private readonly streams?: StreamStates;

  constructor(
    private readonly store: Pick<ReadStore, 'getApplied' | 'find'>,
    private readonly projection: Projection,
    options: TxOptions = {},
  ) {
    this.physical = options.physical ?? ((c) => c);
    this.inOrder = options.inOrder ?? false;
    this.streams = options.streams;
  }

  /** The state of the event's stream before and after it, as `decider` folds it (see StreamStates). */
  around<S, C, E extends DomainEvent>(event: RecordedEvent, decider: Decider<S, C, E>): Promise<{ before: S; after: S }> {
    if (!this.streams) throw new Error(`Projection ${this.projection.name} folds streams: give its ProjectionTx the log's StreamStates`);
    return this.streams.around(event, decider);
  }

  /** Applies one event to the documents it has not reached yet. */
  async apply(event: RecordedEvent): Promise<void> {
    this.current = sortablePosition(event.position);
    await this.projection.apply(event, this);
  }

  async get<T extends Doc>(collection: string, id: string): Promise<T | null> {
    return (await this.load(collection, id)).doc as T | null;
  }

  /**
   * The documents of `collection` that meet `filter` (equalities and ranges) as this batch sees them: the
   * store's, with the batch's own writes and deletions over them, and those the batch created. In id order.
   */
  async find<T extends Doc>(collection: string, filter: Filter): Promise<T[]> {
    const { items } = await this.store.find(this.physical(collection), { filter });
    const ids = new Set(items.map((doc) => doc.id));
    for (const entry of this.docs.values()) if (entry.collection === collection) ids.add(entry.id);
    const found: T[] = [];
    for (const id of [...ids].sort()) {
      const { doc } = await this.load(collection, id);
      if (doc && meets(doc, filter)) found.push(doc as T);
    }
    return found;
  }

  /** Creates or replaces a document, unless it (or its deletion) already reflects this event. */
  async put(collection: string, doc: Doc): Promise<void> {
    const entry = await this.load(collection, doc.id, this.inOrder);
    if (this.reached(entry)) return;
    Object.assign(entry, { doc, applied: this.current, changed: true, changedBy: this.current });
  }

  async delete(collection: string, id: string): Promise<void> {
    const entry = await this.load(collection, id, this.inOrder);
    if (this.reached(entry)) return;
    Object.assign(entry, { doc: null, applied: this.current, changed: true, changedBy: this.current });
  }

  /**
   * Deletes every document of `collection` whose `field` is one of `values`: those the batch holds become
   * deletions (as `delete` makes them, unless already past this event), and the store deletes the rest
   * when the batch commits. Documents put by later events stay.
   */
  async deleteWhere(collection: string, field: string, values: string[]): Promise<void> {
    const bulk: BulkDelete = { collection, field, values: [...values], at: this.current };
    for (const entry of this.docs.values()) {
      if (entry.collection !== collection || !entry.doc || !matches(entry.doc, bulk) || this.reached(entry)) continue;
      Object.assign(entry, { doc: null, applied: this.current, changed: true, changedBy: this.current });
    }
    this.bulkDeletes.push(bulk);
  }

  /** Changes a document that must exist; a missing one (deleted, or never created) is left alone. */
  async update<T extends Doc>(collection: string, id: string, change: (doc: T) => T): Promise<void> {
    const entry = await this.load(collection, id);
    if (!entry.doc || this.reached(entry)) return;
    Object.assign(entry, { doc: change(entry.doc as T), applied: this.current, changed: true, changedBy: this.current });
  }

  /**
   * Collection by collection, in the order the projection declares them: a store without transactions may
   * write part of a batch, and a projection that derives documents from a state it keeps declares the derived
   * collection first, so a partial write can leave the state behind (re-applied exactly) but never ahead.
   *
   * A collection's bulk deletes come first: the batch's own documents are already decided (matches made
   * deletions, documents put after the `deleteWhere` kept), so they only remove what was stored before.
   * They leave no tombstones: where the store commits a batch with its checkpoint in one transaction, the
   * log is read again only after that checkpoint, at or past the event that asked, so no event that wrote a
   * document they removed is applied again. Without transactions the documents may land without the
   * checkpoint; a re-delivery may then write such a document again, but the `deleteWhere` event follows and
   * removes it again, while its position guard spares what later events wrote (re-delivery skips those).
   */
  writes(): DocWrite[] {
    const declared = Object.keys(this.projection.collections);
    const rank = (collection: string) => (declared.includes(collection) ? declared.indexOf(collection) : declared.length);
    const entries = [...this.docs.values()];
    const collections = [...new Set([...entries, ...this.bulkDeletes].map((e) => e.collection))].sort((a, b) => rank(a) - rank(b));
    const writes: DocWrite[] = [];
    for (const target of collections) {
      for (const { collection, field, values, at } of this.bulkDeletes) {
        if (collection !== target) continue;
        writes.push({ collection: this.physical(collection), op: 'deleteWhere', filter: { [field]: { $in: values }, [APPLIED]: { $lt: at } } });
      }
      for (const { collection, id, doc, applied, changed } of entries) {
        if (collection !== target || !changed) continue;
        if (doc) {
          writes.push({ collection: this.physical(collection), op: 'upsert', doc: { ...doc, [APPLIED]: applied } });
        } else {
          writes.push({ collection: this.physical(collection), op: 'delete', id });
          writes.push({ collection: this.physical(tombstones(this.projection)), op: 'upsert', doc: { id: `${collection}/${id}`, [APPLIED]: applied } });
        }
      }
    }
    return writes;
  }

  private reached(entry: Entry): boolean {
    return entry.applied !== null && entry.applied >= this.current && entry.changedBy !== this.current;
  }

  /** The document as this batch sees it; `blind`: not read from the store when the batch has not seen it yet. */
  private async load(collection: string, id: string, blind = false): Promise<Entry> {
    const key = `${collection}\u0000${id}`;
    let entry = this.docs.get(key);
    if (entry) return entry;
    if (blind) {
      entry = { collection, id, doc: null, applied: null, changed: false };
      this.docs.set(key, entry);
      return entry;
    }
    const stored = await this.store.getApplied(this.physical(collection), id);
    let applied: string | null = null;
    let doc: Doc | null = null;
    if (stored) {
      const { [APPLIED]: position, ...rest } = stored;
      doc = rest as Doc;
      applied = position ?? null;
    } else {
      const tombstone = await this.store.getApplied(this.physical(tombstones(this.projection)), `${collection}/${id}`);
      applied = tombstone?.[APPLIED] ?? null;
    }
    entry = { collection, id, doc, applied, changed: false };
    // Still stored, but a `deleteWhere` of this batch takes it away at commit: the batch sees it gone.
    const held = doc;
    const gone = held && this.bulkDeletes.findLast((b) => b.collection === collection && applied !== null && applied < b.at && matches(held, b));
    if (gone) Object.assign(entry, { doc: null, applied: gone.at, changedBy: gone.at });
    this.docs.set(key, entry);
    return entry;
  }
}
