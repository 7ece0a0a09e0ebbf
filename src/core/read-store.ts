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
  | { $in?: unknown[]; $gte?: unknown; $lte?: unknown; $gt?: unknown; $lt?: unknown; $ne?: unknown };

/** The Mongo filter subset both stores understand: dotted field names, equality, $in and ranges. */
export type Filter = Record<string, FieldCondition>;

export interface FindQuery {
  filter?: Filter;
  /** One field to sort on; ties are broken by id so cursors are stable. Default: id ascending. */
  sort?: { field: string; order: 1 | -1 };
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
  | { collection: string; op: 'delete'; id: string };

export interface IndexSpec {
  fields: string[];
  unique?: boolean;
}

/** Advances a projection's checkpoint in the same atomic write as its documents. */
export interface CheckpointUpdate {
  projection: string;
  /** The checkpoint the writer last read; the write fails with CheckpointMovedError if it changed. */
  expected: string | null;
  position: string;
}

/**
 * The field in which a projection keeps, on each document, the position (sortablePosition) of the last
 * event applied to it. Stores keep it but leave it out of `get` and `find`: only `getApplied` shows it.
 */
export const APPLIED = '_pos';

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
  write(writes: DocWrite[], checkpoint?: CheckpointUpdate): Promise<void>;
  checkpoint(projection: string): Promise<string | null>;
  /** Replaces each target collection by its source (rebuilt) collection and sets the checkpoint. */
  swap(renames: Array<{ from: string; to: string }>, checkpoint: { projection: string; position: string | null }): Promise<void>;
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

export function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string): [unknown, string] {
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(values) && values.length === 2 && typeof values[1] === 'string') return values as [unknown, string];
  } catch {
    // fall through
  }
  throw new InvalidCursorError(cursor);
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
