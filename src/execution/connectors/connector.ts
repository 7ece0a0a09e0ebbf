import type { Condition } from '../../jobs/task-query.js';

export type ColumnType = 'integer' | 'real' | 'numeric' | 'text' | 'boolean' | 'date' | 'timestamp' | 'blob';

export interface Column {
  name: string;
  type: ColumnType;
  /** Longest string the column holds, where it has a limit (postgres varchar(n)). */
  maxLength?: number | null;
  primaryKey?: boolean;
}

export type Row = Record<string, unknown>;

export interface ReadRequest {
  table: string;
  /** A SELECT read as the source instead of `table` (a Siren ingestion's query), as a subquery. */
  sql?: string;
  /** Source columns to read and the destination names they get. */
  columns: Array<{ name: string; as: string }>;
  where?: Condition;
  /** Only rows whose column is above `after` (incremental load); ordered by it where the source can. */
  incremental?: { column: string; after: unknown };
  /** Only rows whose column is at or after this date (Replicate_Start_Date). */
  startDate?: { column: string; from: string };
  batchSize: number;
}

export interface PrepareOptions {
  drop: boolean;
  truncate: boolean;
  alter: boolean;
  schema: string | null;
}

export interface WriteOptions {
  primaryKey: string[];
  autoTruncate: boolean;
  schema: string | null;
}

export interface ApplyOptions {
  /** upsert: rows whose keys match are updated, the others inserted (all inserted when `keys` is null); delete: rows whose keys match are deleted. */
  mode: 'upsert' | 'delete';
  keys: string[] | null;
  /** Aborted by a cancel or at the end of the shutdown grace: nothing is applied. */
  signal?: AbortSignal;
}

export interface ApplyCounts {
  updated: number;
  inserted: number;
  deleted: number;
}

/** A data store a job reads from and writes to. Rows move in batches; each written batch is one transaction. */
export interface Connector {
  /** The columns of a table, or a ConnectorError naming what is missing. */
  columns(table: string): Promise<Column[]>;
  read(request: ReadRequest): AsyncIterable<Row[]>;
  /** The columns a SELECT answers, for reading it with `ReadRequest.sql`; only databases have it. */
  queryColumns?(sql: string): Promise<Column[]>;
  /** Makes the destination table ready for these columns; answers its columns and primary key. */
  prepare(table: string, columns: Column[], options: PrepareOptions): Promise<{ columns: Column[]; primaryKey: string[] }>;
  write(table: string, columns: Column[], rows: Row[], options: WriteOptions): Promise<void>;
  /**
   * All of `batches` or nothing, in one transaction: a batch that rejects (a bad line of an upload, a
   * cancel) leaves the table exactly as it was. Rows carry the names of `columns`, columns of `table`.
   */
  applyAll(table: string, columns: Column[], batches: AsyncIterable<Row[]>, options: ApplyOptions): Promise<ApplyCounts>;
  /**
   * Gives up the work in flight at once (a cancel, or the end of the shutdown grace): the pending call
   * rejects soon after and the store stops working on it. Only `close()` may follow.
   */
  interrupt(): void;
  close(): Promise<void>;
}

/** A failure a person can act on: which store, which table, what is wrong. */
export class ConnectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectorError';
  }
}

/** Incremental watermarks compare as numbers when both sides are numbers, otherwise as strings. */
export function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && a !== null && b !== null && !Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** Columns the destination is missing, and columns it has with another type (ignored: values are converted). */
export function missingColumns(wanted: Column[], existing: Column[]): Column[] {
  const have = new Set(existing.map((c) => c.name.toLowerCase()));
  return wanted.filter((c) => !have.has(c.name.toLowerCase()));
}

export function resolveColumns(source: Column[], selected: '*' | Array<{ name: string; as: string }>, table: string) {
  if (selected === '*') return source.map((c) => ({ name: c.name, as: c.name }));
  const byName = new Map(source.map((c) => [c.name.toLowerCase(), c.name]));
  return selected.map(({ name, as }) => {
    const actual = byName.get(name.toLowerCase());
    if (!actual) throw new ConnectorError(`Column ${name} does not exist in source table ${table} (it has ${source.map((c) => c.name).join(', ')})`);
    return { name: actual, as };
  });
}

export function valueForSql(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) return JSON.stringify(value);
  return value;
}
