import { APPLIED, type Doc, type DocWrite, type FindQuery, type Page, type ReadStore } from '../src/core/read-store.js';

type Stored = (Doc & { [APPLIED]?: string }) | null;

/**
 * The documents the leading runner last read or committed, so a busy document (a job, a run) is not read
 * and parsed again for every batch. It is right only while this runner is the one writer of its
 * collections: the runner clears it whenever it stops leading or finds its checkpoint moved (a rebuild
 * swapped in), and collections written outside it (a retention's deletes) are left out.
 */
export class DocCache implements Pick<ReadStore, 'getApplied' | 'find'> {
  /** Least recently used first: a Map keeps insertion order, and a hit is re-inserted. */
  private readonly docs = new Map<string, Stored>();

  constructor(
    private readonly store: Pick<ReadStore, 'getApplied' | 'find'>,
    private readonly uncached: ReadonlySet<string>,
    private readonly capacity = 20_000,
  ) {}

  async getApplied<T extends Doc>(collection: string, id: string): Promise<(T & { [APPLIED]?: string }) | null> {
    if (this.uncached.has(collection)) return this.store.getApplied<T>(collection, id);
    const key = keyOf(collection, id);
    if (this.docs.has(key)) {
      const doc = this.docs.get(key)!;
      this.remember(key, doc);
      return doc as (T & { [APPLIED]?: string }) | null;
    }
    const doc = await this.store.getApplied<T>(collection, id);
    this.remember(key, doc);
    return doc;
  }

  /** Finds in the store: it holds what this cache holds, as both reflect the last commit. */
  find<T extends Doc>(collection: string, query?: FindQuery): Promise<Page<T>> {
    return this.store.find<T>(collection, query);
  }

  /**
   * What a commit wrote, for the documents cached: a document is cached once it is read, so one that is only
   * ever written (a log line, an audit entry) takes no room.
   */
  committed(writes: DocWrite[]): void {
    for (const w of writes) {
      if (this.uncached.has(w.collection)) continue;
      if (w.op === 'deleteWhere') {
        for (const key of this.docs.keys()) if (key.startsWith(keyOf(w.collection, ''))) this.docs.delete(key);
        continue;
      }
      const key = keyOf(w.collection, w.op === 'upsert' ? w.doc.id : w.id);
      if (!this.docs.has(key)) continue;
      if (w.op === 'patch') this.docs.delete(key);
      else this.docs.set(key, w.op === 'upsert' ? w.doc : null);
    }
  }

  clear(): void {
    this.docs.clear();
  }

  private remember(key: string, doc: Stored): void {
    this.docs.delete(key);
    this.docs.set(key, doc);
    if (this.docs.size > this.capacity) this.docs.delete(this.docs.keys().next().value!);
  }
}

const keyOf = (collection: string, id: string) => `${collection}\u0000${id}`;
