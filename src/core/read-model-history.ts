import type { Doc } from './read-store.js';

/** A document as it stood at some moment; `deletedAt` when it had been deleted by then (the doc is its last state). */
export interface DocAsOf<T extends Doc> {
  doc: T;
  deletedAt?: string;
  /** The documents `related` asked for, as of the same moment as `doc`. */
  related?: Doc[];
}

/** Documents kept apart from the one asked for, that belong to it: those of `collection` whose `field` is its id (a job's tasks). */
export interface Related {
  collection: string;
  field: string;
}

/** Read models as they were at any moment, from the log: what `?as_of=` answers. */
export interface ReadModelHistory {
  /**
   * Document `id` of `collection` as of `at` (inclusive): the projection that owns the collection, applied in
   * memory to the events of `stream` written up to then. Null when it did not exist yet.
   */
  asOf<T extends Doc>(collection: string, id: string, stream: string, at: string, related?: Related): Promise<DocAsOf<T> | null>;
}

export const READ_MODEL_HISTORY = Symbol('ReadModelHistory');
