/** A read-model document: plain JSON with a string id. */
export interface Doc {
  id: string;
  [field: string]: unknown;
}

export type FieldCondition =
  | string
  | number
  | boolean
  | null
  | {
      $in?: unknown[];
      $gte?: unknown;
      $lte?: unknown;
      $gt?: unknown;
      $lt?: unknown;
      $ne?: unknown;
      /**
       * Words that must all appear in the field, each as a whole word, case-insensitive (see textWords);
       * no words match nothing. The field must be covered by the collection's text index.
       */
      $text?: string;
    };

/** The Mongo filter subset both stores understand: dotted field names, equality, $in, ranges and $text. */
export type Filter = Record<string, FieldCondition>;

export interface SortKey {
  field: string;
  order: 1 | -1;
}

export interface FindQuery {
  filter?: Filter;
  /**
   * The fields to sort on, each breaking the ties of the one before; ties left are broken by id (in the
   * last key's order) so cursors are stable. Default: id ascending.
   */
  sort?: SortKey | SortKey[];
  limit?: number;
  /** Opaque cursor from a previous page's `next`. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  next?: string;
}

export type DocWrite =
  | { collection: string; op: 'upsert'; doc: Doc }
  | { collection: string; op: 'patch'; id: string; set: Record<string, unknown> }
  | { collection: string; op: 'delete'; id: string }
  /** Deletes every document the filter (as `find` reads it) matches when it applies: writes given after it stay. */
  | { collection: string; op: 'deleteWhere'; filter: Filter };

export interface IndexSpec {
  fields: string[];
  unique?: boolean;
  /** A full-text index on these (string) fields, for `$text` conditions: at most one per collection. */
  text?: boolean;
}

/** Advances a projection's checkpoint in the same atomic write as its documents. */
export interface CheckpointUpdate {
  projection: string;
  /** The checkpoint the writer last read; the write fails with CheckpointMovedError if it changed. */
  expected: string | null;
  position: string | null;
}

/**
 * The field in which a projection keeps, on each document, the position (sortablePosition) of the last
 * event applied to it. Stores keep it but leave it out of `get` and `find`: only `getApplied` shows it.
 */
export const APPLIED = '_pos';

/**
 * A checkpoint no projection has: every `swap` moves it to a value of its own, so a runner that keeps
 * documents in memory can tell a rebuild was swapped in even where the swapped checkpoint equals its own.
 */
export const SWAPPED = '~swapped';

/** Who runs a projection: one instance at a time holds it until `expiresAt` (epoch ms) unless it renews. */
export interface Lease {
  name: string;
  owner: string;
  expiresAt: number;
}

/** Read models. Implemented on SQLite (embedded) and MongoDB (production). */
export interface ReadStore {
  ensureCollection(name: string, indexes: IndexSpec[]): Promise<void>;
  dropCollection(name: string): Promise<void>;
  get<T extends Doc>(collection: string, id: string): Promise<T | null>;
  /** The document with its APPLIED field, for a projection deciding whether an event is already in it. */
  getApplied<T extends Doc>(collection: string, id: string): Promise<(T & { [APPLIED]?: string }) | null>;
  find<T extends Doc>(collection: string, query?: FindQuery): Promise<Page<T>>;
  /** The writes and the checkpoints they advance, atomically where the store has transactions. */
  write(writes: DocWrite[], checkpoints?: CheckpointUpdate[]): Promise<void>;
  checkpoint(projection: string): Promise<string | null>;
  /** Whether `write` commits its writes with its checkpoints atomically: then nothing past a checkpoint is ever stored. */
  commitsAtomically(): Promise<boolean>;
  /**
   * Replaces each target collection by its source (rebuilt) collection and sets the checkpoint (and SWAPPED's);
   * with `guard`, only if that checkpoint is still as expected (else CheckpointMovedError, nothing swapped).
   */
  swap(renames: Array<{ from: string; to: string }>, checkpoint: { projection: string; position: string | null }, guard?: CheckpointUpdate): Promise<void>;
  /**
   * Takes the lease `name` for `owner` until now + `ttlMs` when it is free, expired or already the owner's
   * (a renewal), and answers whether `owner` holds it now.
   */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up at once, if `owner` holds it, so another instance need not wait for it to expire. */
  releaseLease(name: string, owner: string): Promise<void>;
  lease(name: string): Promise<Lease | null>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const READ_STORE = Symbol('ReadStore');

export class CheckpointMovedError extends Error {
  constructor(readonly projection: string) {
    super(`Checkpoint of projection ${projection} was moved by another writer`);
    this.name = 'CheckpointMovedError';
  }
}

/** The sort as a list of keys that ends with id, the tie-breaker (in the order of the key before it). */
export function sortKeys(sort: FindQuery['sort']): SortKey[] {
  const keys: SortKey[] = [];
  for (const key of sort === undefined ? [] : Array.isArray(sort) ? sort : [sort]) {
    keys.push(key);
    if (key.field === 'id') return keys;
  }
  return [...keys, { field: 'id', order: keys.at(-1)?.order ?? 1 }];
}

/** Where a page ended: the last document's value of each sort key (the last one its id). */
export function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** The sort-key values of a cursor made for `keys`; anything else (another sort, a forged cursor) is invalid. */
export function decodeCursor(cursor: string, keys: number): unknown[] {
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // Only plain values: a cursor is the client's to send back, and an object in it would reach a store's query as an operator.
    const plain = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
    if (Array.isArray(values) && values.length === keys && typeof values[keys - 1] === 'string' && values.every(plain)) return values;
  } catch {
    // fall through
  }
  throw new InvalidCursorError(cursor);
}

/** The cursor after `doc` in a sort on `keys`: missing values count as null, as both stores sort them. */
export function cursorAfter(doc: Doc, keys: SortKey[]): string {
  return encodeCursor(keys.map((k) => fieldValue(doc, k.field) ?? null));
}

/**
 * The words a `$text` condition asks for: runs of letters, digits and underscores (so `accounts_2024` is one
 * word, as MongoDB's text index has it), lower-cased.
 */
export function textWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];
}

/**
 * Whether every value a condition matches is non-null: a range or an equality with a value. Sorts use
 * it to leave null out of a cursor's bounds, so the bound can narrow an index range.
 */
export function excludesNull(condition: FieldCondition | undefined): boolean {
  if (condition === undefined || condition === null) return false;
  if (typeof condition !== 'object') return true;
  const { $in, $gte, $lte, $gt, $lt, $text } = condition;
  return [$gte, $lte, $gt, $lt, $text].some((v) => v !== undefined && v !== null) || ($in !== undefined && !$in.includes(null));
}

export class InvalidCursorError extends Error {
  constructor(cursor: string) {
    super(`Invalid cursor: ${cursor}`);
    this.name = 'InvalidCursorError';
  }
}

/** Reads a dotted field ("schedule.enabled") from a document. */
export function fieldValue(doc: unknown, field: string): unknown {
  return field.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), doc);
}
