import { type Column, ConnectorError, missingColumns, type PrepareOptions } from './connector.js';

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** What preparing a destination table needs from a SQL store. */
export interface SqlTable {
  /** Quoted, possibly schema-qualified name for SQL, and the name to show people. */
  sql: string;
  display: string;
  exists(): Promise<boolean>;
  columns(): Promise<Column[]>;
  exec(sql: string): Promise<void>;
  typeOf(column: Column): string;
  /** Statements that empty the table. */
  truncate: string;
}

/** Drops, creates, adds missing columns or truncates, as the job's settings say; answers the columns and key. */
export async function prepareSqlTable(t: SqlTable, columns: Column[], options: PrepareOptions) {
  const exists = await t.exists();
  if (exists && options.drop) await t.exec(`DROP TABLE ${t.sql}`);
  if (!exists || options.drop) {
    const keys = columns.filter((c) => c.primaryKey).map((c) => quoteIdent(c.name));
    const defs = columns.map((c) => `${quoteIdent(c.name)} ${t.typeOf(c)}`);
    if (keys.length) defs.push(`PRIMARY KEY (${keys.join(', ')})`);
    await t.exec(`CREATE TABLE ${t.sql} (${defs.join(', ')})`);
  } else {
    const missing = missingColumns(columns, await t.columns());
    if (missing.length && !options.alter) {
      throw new ConnectorError(`Destination table ${t.display} has no column ${missing.map((c) => c.name).join(', ')}; enable Alter_Schema to add them`);
    }
    for (const c of missing) await t.exec(`ALTER TABLE ${t.sql} ADD COLUMN ${quoteIdent(c.name)} ${t.typeOf({ ...c, maxLength: null })}`);
    if (options.truncate) await t.exec(t.truncate);
  }
  const actual = await t.columns();
  return { columns: actual, primaryKey: actual.filter((c) => c.primaryKey).map((c) => c.name) };
}

/** `ON CONFLICT (key) DO UPDATE ...` where the destination has a primary key: writes become upserts. */
export function upsertClause(names: string[], primaryKey: string[]): string {
  if (primaryKey.length === 0) return '';
  const key = new Set(primaryKey);
  const updates = names.filter((n) => !key.has(n)).map((n) => `${quoteIdent(n)} = excluded.${quoteIdent(n)}`);
  return ` ON CONFLICT (${primaryKey.map(quoteIdent).join(', ')}) DO ${updates.length ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`;
}

/** Groups rows into batches of `size`. */
export async function* batched<T>(rows: Iterable<T> | AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const row of rows) {
    batch.push(row);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}
