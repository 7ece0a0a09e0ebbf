import type { Doc } from './read-store.js';

/** A document as it stood at some moment; `deletedAt` when it had been deleted by then (the doc is its last state). */
export interface DocAsOf<T extends Doc> {
  doc: T;
  deletedAt?: string;
}

/** Read models as they were at any moment, from the log: what `?as_of=` answers. */
export interface ReadModelHistory {
  /**
   * Document `id` of `collection` as of `at` (inclusive): the projection that owns the collection, applied in
   * memory to the events of `stream` written up to then. Null when it did not exist yet.
   */
  asOf<T extends Doc>(collection: string, id: string, stream: string, at: string): Promise<DocAsOf<T> | null>;
}

export const READ_MODEL_HISTORY = Symbol('ReadModelHistory');
