import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openDatabase } from '../../infrastructure/sqlite/open-database.js';
import { conditionToSql } from './conditions.js';
import {
  type ApplyCounts,
  type ApplyOptions,
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
import { Interrupted } from './limits.js';
import { STAGE_LINE, stagedApply } from './sql-apply.js';
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
   * All batches in one transaction (IMMEDIATE: it takes the write lock at once rather than failing to upgrade
   * after the rows are in). Appends and upserts by the primary key go straight into the table: ON CONFLICT
   * has the key's index to rely on, and a later line of the same key just updates the row again. Other keys
   * may have no unique constraint: those rows are staged in a temporary table, then applied by key.
   */
  async applyAll(table: string, columns: Column[], batches: AsyncIterable<Row[]>, options: ApplyOptions): Promise<ApplyCounts> {
    const names = columns.map((c) => c.name);
    const keys = new Set(options.keys ?? []);
    const primaryKey = (await this.columns(table)).filter((c) => c.primaryKey).map((c) => c.name);
    const direct = options.mode === 'upsert' && (!keys.size || (keys.size === primaryKey.length && primaryKey.every((k) => keys.has(k))));
    const target = `main.${quote(table)}`;
    const count = () => (this.db.prepare(`SELECT count(*) AS n FROM ${target}`).get() as { n: number }).n;
    const stage = 'temp."sluice_stage"';
    this.db.exec('BEGIN IMMEDIATE');
    try {
      let counts: ApplyCounts = { updated: 0, inserted: 0, deleted: 0 };
      if (direct) {
        const before = count();
        const written = await this.insertAll(target, names, batches, options.signal, keys.size ? upsertClause(names, primaryKey) : '');
        // An upsert changes a row per line, inserted or updated: the rows the table gained were inserted.
        const inserted = count() - before;
        counts = { ...counts, inserted, updated: written - inserted };
      } else {
        this.db.exec(`DROP TABLE IF EXISTS ${stage}`);
        this.db.exec(`CREATE TEMP TABLE "sluice_stage" (${STAGE_LINE} INTEGER, ${columns.map((c) => `${quote(c.name)} ${SQL_TYPES[c.type]}`).join(', ')})`);
        await this.insertAll(stage, names, batches, options.signal, '', true);
        const sql = stagedApply(target, stage, names, options);
        if (sql.index) this.db.exec(`CREATE INDEX temp."sluice_stage_keys" ON "sluice_stage" (${sql.index.map(quote).join(', ')})`);
        if (sql.update) counts.updated = this.db.prepare(sql.update).run().changes;
        if (sql.insert) counts.inserted = this.db.prepare(sql.insert).run().changes;
        if (sql.delete) counts.deleted = this.db.prepare(sql.delete).run().changes;
        this.db.exec(`DROP TABLE ${stage}`);
      }
      this.db.exec('COMMIT');
      return counts;
    } catch (error) {
      if (this.db.open && this.db.inTransaction) this.db.exec('ROLLBACK');
      // SQLite's own errors (a NOT NULL column left empty, a full disk) say which table and database.
      if (!String((error as { code?: unknown }).code ?? '').startsWith('SQLITE_')) throw error;
      throw new ConnectorError(`SQLite rejected the rows for ${table} in ${this.path}: ${(error as Error).message}`);
    }
  }

  /** Inserts every batch, up to 100 rows a statement, each row numbered first when `numbered`; answers the rows changed. */
  private async insertAll(target: string, names: string[], batches: AsyncIterable<Row[]>, signal: AbortSignal | undefined, suffix: string, numbered = false) {
    const list = [...(numbered ? [STAGE_LINE] : []), ...names.map(quote)];
    const perStatement = Math.max(1, Math.min(100, Math.floor(32_000 / list.length)));
    const tuple = `(${list.map(() => '?').join(', ')})`;
    const statement = (count: number) => {
      const sql = `INSERT INTO ${target} (${list.join(', ')}) VALUES ${Array(count).fill(tuple).join(', ')}${suffix}`;
      let prepared = this.statements.get(sql);
      if (!prepared) this.statements.set(sql, (prepared = this.db.prepare(sql)));
      return prepared;
    };
    let line = 0;
    let changes = 0;
    for await (const rows of batches) {
      if (signal?.aborted) throw new Interrupted(signal.reason);
      for (let i = 0; i < rows.length; i += perStatement) {
        const chunk = rows.slice(i, i + perStatement);
        const params: unknown[] = [];
        for (const row of chunk) {
          if (numbered) params.push(++line);
          for (const n of names) params.push(valueForSql(row[n]));
        }
        changes += statement(chunk.length).run(params).changes;
      }
    }
    if (signal?.aborted) throw new Interrupted(signal.reason);
    return changes;
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
