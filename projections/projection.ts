import type { RecordedEvent } from '../src/core/events.js';
import type { Doc, DocWrite, IndexSpec, ReadStore } from '../src/core/read-store.js';

/** One read model: the collections it owns and how each event changes them. */
export interface Projection {
  name: string;
  collections: Record<string, IndexSpec[]>;
  apply(event: RecordedEvent, tx: ProjectionTx): Promise<void>;
}

/**
 * The documents a batch of events touches, read once and written once. Reads see the batch's own
 * earlier writes; `writes()` is what the store commits together with the checkpoint.
 */
export class ProjectionTx {
  private readonly docs = new Map<string, { collection: string; id: string; doc: Doc | null }>();

  constructor(
    private readonly store: ReadStore,
    /** Where a collection really lives: itself, or its rebuild copy. */
    private readonly physical: (collection: string) => string = (c) => c,
  ) {}

  async get<T extends Doc>(collection: string, id: string): Promise<T | null> {
    const key = `${collection}\u0000${id}`;
    const cached = this.docs.get(key);
    if (cached) return cached.doc as T | null;
    const doc = await this.store.get<T>(this.physical(collection), id);
    this.docs.set(key, { collection, id, doc });
    return doc;
  }

  put(collection: string, doc: Doc): void {
    this.docs.set(`${collection}\u0000${doc.id}`, { collection, id: doc.id, doc });
  }

  delete(collection: string, id: string): void {
    this.docs.set(`${collection}\u0000${id}`, { collection, id, doc: null });
  }

  /** Changes a document that must exist; a missing one (deleted, or never created) is left alone. */
  async update<T extends Doc>(collection: string, id: string, change: (doc: T) => T): Promise<void> {
    const doc = await this.get<T>(collection, id);
    if (doc) this.put(collection, change(doc));
  }

  writes(): DocWrite[] {
    return [...this.docs.values()].map(({ collection, id, doc }) =>
      doc ? { collection: this.physical(collection), op: 'upsert', doc } : { collection: this.physical(collection), op: 'delete', id },
    );
  }
}
