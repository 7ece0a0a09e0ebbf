import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openDatabase } from '../../infrastructure/sqlite/open-database.js';
import { conditionToSql } from './conditions.js';
import {
  type Column,
  type ColumnType,
  type Connector,
  ConnectorError,
  type PrepareOptions,
  type ReadRequest,
  type Row,
  type WriteOptions,
  valueForSql,
} from './connector.js';
import { batched, prepareSqlTable, quoteIdent as quote, upsertClause } from './sql-tables.js';

const SQL_TYPES: Record<ColumnType, string> = {
  integer: 'INTEGER',
  real: 'REAL',
  numeric: 'NUMERIC',
  text: 'TEXT',
  boolean: 'INTEGER',
  date: 'TEXT',
  timestamp: 'TEXT',
  blob: 'BLOB',
};

function columnType(declared: string): ColumnType {
  const t = declared.toUpperCase();
  if (t.includes('INT')) return 'integer';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'real';
  if (t.includes('BOOL')) return 'boolean';
  if (t.includes('TIMESTAMP') || t.includes('DATETIME')) return 'timestamp';
  if (t === 'DATE') return 'date';
  if (t.includes('BLOB')) return 'blob';
  if (t.includes('NUM') || t.includes('DEC')) return 'numeric';
  return 'text';
}

/** A SQLite database file, as source or destination. */
export class SqliteConnector implements Connector {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly path: string) {
    this.db = openDatabase(path);
    // A destination is written in bulk: NORMAL still survives a crash of the process, and a 16 MB page
    // cache (instead of 2 MB) keeps the indexes of a growing table in memory.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('cache_size = -16384');
  }

  static open(path: string, mustExist: boolean): SqliteConnector {
    if (mustExist && !existsSync(path)) throw new ConnectorError(`SQLite database ${path} does not exist`);
    return new SqliteConnector(path);
  }

  async columns(table: string): Promise<Column[]> {
    const info = this.db.prepare(`SELECT name, type, pk FROM pragma_table_info(?)`).all(table) as Array<{ name: string; type: string; pk: number }>;
    if (info.length === 0) throw new ConnectorError(`Table ${table} does not exist in SQLite database ${this.path}`);
    return info.map((c) => ({ name: c.name, type: columnType(c.type), primaryKey: c.pk > 0 }));
  }

  async *read(request: ReadRequest): AsyncIterable<Row[]> {
    const params: unknown[] = [];
    const param = (v: unknown) => (params.push(valueForSql(v)), '?');
    const where: string[] = [];
    if (request.where) where.push(conditionToSql(request.where, quote, param));
    if (request.incremental && request.incremental.after !== null && request.incremental.after !== undefined) {
      where.push(`${quote(request.incremental.column)} > ${param(request.incremental.after)}`);
    }
    if (request.startDate) where.push(`${quote(request.startDate.column)} >= ${param(request.startDate.from)}`);
    const select = request.columns.map((c) => `${quote(c.name)} AS ${quote(c.as)}`).join(', ');
    const sql =
      `SELECT ${select} FROM ${quote(request.table)}` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      (request.incremental ? ` ORDER BY ${quote(request.incremental.column)}` : '');
    let statement: Database.Statement;
    try {
      statement = this.db.prepare(sql);
    } catch (error) {
      throw new ConnectorError(`SQLite rejected the query on ${request.table}: ${(error as Error).message}`);
    }
    yield* batched(statement.iterate(...params) as IterableIterator<Row>, request.batchSize);
  }

  async prepare(table: string, columns: Column[], options: PrepareOptions) {
    return prepareSqlTable(
      {
        sql: quote(table),
        display: table,
        exists: async () => Boolean(this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table)),
        columns: () => this.columns(table),
        exec: async (sql) => void this.db.exec(sql),
        typeOf: (c) => SQL_TYPES[c.type],
        truncate: `DELETE FROM ${quote(table)}`,
      },
      columns,
      options,
    );
  }

  async write(table: string, columns: Column[], rows: Row[], options: WriteOptions): Promise<void> {
    const names = columns.map((c) => c.name);
    const upsert = upsertClause(names, options.primaryKey);
    // Many rows per statement: one call into SQLite per 100 rows instead of per row (about twice as fast).
    const perStatement = Math.max(1, Math.min(100, Math.floor(32_000 / names.length)));
    const statement = (count: number) => {
      const tuple = `(${names.map(() => '?').join(', ')})`;
      const sql = `INSERT INTO ${quote(table)} (${names.map(quote).join(', ')}) VALUES ${Array(count).fill(tuple).join(', ')}${upsert}`;
      let prepared = this.statements.get(sql);
      if (!prepared) this.statements.set(sql, (prepared = this.db.prepare(sql)));
      return prepared;
    };
    this.db.transaction(() => {
      for (let i = 0; i < rows.length; i += perStatement) {
        const chunk = rows.slice(i, i + perStatement);
        const params: unknown[] = [];
        for (const row of chunk) for (const n of names) params.push(valueForSql(row[n]));
        statement(chunk.length).run(params);
      }
    })();
  }

  /**
   * Nothing to stop: better-sqlite3 is synchronous, so no batch is ever in flight while a cancel is seen; the
   * run stops at the next batch boundary. The timeouts do not apply either: the file is local and a lock is
   * waited for at most busy_timeout (5 s).
   */
  interrupt(): void {}

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
