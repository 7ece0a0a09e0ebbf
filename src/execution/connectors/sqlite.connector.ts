import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
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
import { checkRows, columnsIn, declaredCheck, firstFailing, NOT_NULL, RowRejected, STAGE_LINE, stagedApply, stagePrefix, type ValueCheck } from './sql-apply.js';
import { batched, prepareSqlTable, quoteIdent as quote, upsertClause } from './sql-tables.js';
import { makeStageDir, removeStageDir } from './sqlite-stage-dirs.js';
import { insertBatch, SqliteWriter } from './sqlite-writer.js';

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

/** The schema name of applyAll's scratch database, while it is attached. */
const SCRATCH = 'sluice_scratch';
/** The longest wait for another connection's write lock. */
const LOCK_WAIT_MS = 5000;

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
  /** Started by the first write: batches are written on a thread of their own. */
  private writer: SqliteWriter | undefined;
  /** applyAll's thread, while it stages an upload. */
  private staging: SqliteWriter | undefined;
  private writing = false;

  /** `scratchDir`: where applyAll stages an upload (the system's temp directory). */
  constructor(
    private readonly path: string,
    private readonly scratchDir = tmpdir(),
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { timeout: LOCK_WAIT_MS });
    // A 16 MB page cache (instead of 2 MB) keeps the indexes of a growing table in memory.
    this.db.pragma('cache_size = -16384');
  }

  /**
   * Before the first write, not on open: WAL stays with the file, so a database Sluice only reads keeps its
   * journal mode. WAL lets a source read in the same file go on while batches commit (a replication prepares
   * its destination before it reads); a bulk write with NORMAL syncs still survives a crash of the process.
   */
  private async forWriting(): Promise<void> {
    if (this.writing) return;
    await this.unlocked(() => this.db.pragma('journal_mode = WAL'));
    this.db.pragma('synchronous = NORMAL');
    this.writing = true;
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

  async queryColumns(sql: string): Promise<Column[]> {
    try {
      // Declared types follow plain columns through the subquery; a computed column has none and is text.
      return this.db
        .prepare(`SELECT * FROM (${sql}) AS source_query`)
        .columns()
        .map((c) => ({ name: c.name, type: columnType(c.type ?? '') }));
    } catch (error) {
      throw new ConnectorError(`SQLite rejected the datasource query: ${(error as Error).message}`);
    }
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
      `SELECT ${select} FROM ${request.sql ? `(${request.sql}) AS source_query` : quote(request.table)}` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      (request.incremental ? ` ORDER BY ${quote(request.incremental.column)}` : '');
    let statement: Database.Statement;
    try {
      statement = this.db.prepare(sql);
    } catch (error) {
      throw new ConnectorError(`SQLite rejected the query on ${request.sql ? 'the datasource' : request.table}: ${(error as Error).message}`);
    }
    yield* batched(statement.iterate(...params) as IterableIterator<Row>, request.batchSize);
  }

  async prepare(table: string, columns: Column[], options: PrepareOptions) {
    await this.forWriting();
    return prepareSqlTable(
      {
        sql: quote(table),
        display: table,
        exists: async () => Boolean(this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table)),
        columns: () => this.columns(table),
        exec: (sql) => this.unlocked(() => void this.db.exec(sql)),
        typeOf: (c) => SQL_TYPES[c.type],
        truncate: `DELETE FROM ${quote(table)}`,
      },
      columns,
      options,
    );
  }

  async write(table: string, columns: Column[], rows: Row[], options: WriteOptions): Promise<void> {
    await this.forWriting();
    const names = columns.map((c) => c.name);
    this.writer ??= new SqliteWriter(this.path);
    const into = `INSERT INTO ${quote(table)} (${names.map(quote).join(', ')}) VALUES `;
    const tuple = `(${names.map(() => '?').join(', ')})`;
    await this.writer.write(insertBatch({ into, tuple, upsert: upsertClause(names, options.primaryKey) }, names, rows));
  }

  /**
   * Stages every batch in a scratch database first, each value checked against its column's declared type and
   * NOT NULL (SQLite itself would store anything): no lock is taken on the database while the upload is read.
   * The scratch file is written on a thread of its own while the next batch is parsed, then attached, and one
   * IMMEDIATE transaction applies the stage.
   * Appends and upserts by the primary key are one INSERT ... ON CONFLICT, which has the key's index to rely on
   * (a later line of a key updates the row again); other keys may have no unique constraint and are applied
   * by key. A row a constraint refuses is found by applying ever shorter beginnings of the stage.
   */
  async applyAll(table: string, columns: Column[], batches: AsyncIterable<Row[]>, options: ApplyOptions): Promise<ApplyCounts> {
    await this.forWriting();
    const names = columns.map((c) => c.name);
    const keys = new Set(options.keys ?? []);
    const declared = this.db.prepare(`SELECT name, type, "notnull", pk FROM pragma_table_info(?)`).all(table) as Array<{ name: string; type: string; notnull: number; pk: number }>;
    if (declared.length === 0) await this.columns(table);
    const primaryKey = declared.filter((c) => c.pk > 0).map((c) => c.name);
    const direct = options.mode === 'upsert' && (!keys.size || (keys.size === primaryKey.length && primaryKey.every((k) => keys.has(k))));
    // NULL in an INTEGER PRIMARY KEY is a new rowid; a delete matches a NULL key to nothing.
    const rowid = primaryKey.length === 1 ? primaryKey[0] : null;
    const checks = columns.map((c) => {
      const d = declared.find((x) => x.name === c.name);
      const notNull = options.mode === 'upsert' && d?.notnull === 1 && !(c.name === rowid && d.type.toUpperCase() === 'INTEGER');
      return declaredCheck(columnType(d?.type ?? ''), notNull);
    });
    const target = `main.${quote(table)}`;
    const count = () => (this.db.prepare(`SELECT count(*) AS n FROM ${target}`).get() as { n: number }).n;
    const scratch = this.scratch(columns);
    const stage = `${SCRATCH}."sluice_stage"`;
    const list = names.map(quote).join(', ');
    const upsert = keys.size ? upsertClause(names, primaryKey) : '';
    // WHERE true: without it SQLite would read ON CONFLICT as the join's ON.
    const insert = (from: string) => `INSERT INTO ${target} (${list}) SELECT ${list} FROM ${from} AS sluice_new WHERE true ORDER BY ${STAGE_LINE}${upsert}`;
    const step = (which: 'update' | 'insert' | 'delete') => (from: string) => stagedApply(target, from, names, options)[which]!;
    try {
      const file = join(scratch, 'stage.db');
      const rows = await this.stageAll(file, names, batches, options.signal, checks);
      const sql = direct ? { insert: insert(stage) } : stagedApply(target, stage, names, options);
      try {
        this.db.prepare(`ATTACH DATABASE ? AS ${SCRATCH}`).run(file);
        this.db.pragma(`${SCRATCH}.journal_mode = OFF`);
        if ('index' in sql && sql.index) this.db.exec(`CREATE INDEX ${SCRATCH}."sluice_stage_keys" ON "sluice_stage" (${sql.index.map(quote).join(', ')})`);
      } catch (error) {
        throw this.stageFailed(error);
      }
      await this.unlocked(() => this.db.exec('BEGIN IMMEDIATE'), options.signal);
      const apply = (build: (from: string) => string) => this.applyStep(build, stage, rows, names, declared.map((c) => c.name));
      let counts: ApplyCounts = { updated: 0, inserted: 0, deleted: 0 };
      if (direct) {
        const before = count();
        const written = await apply(insert);
        // An upsert changes a row per line, inserted or updated: the rows the table gained were inserted.
        const inserted = count() - before;
        counts = { ...counts, inserted, updated: written - inserted };
      } else {
        if (sql.update) counts.updated = await apply(step('update'));
        if (sql.insert) counts.inserted = await apply(step('insert'));
        if (sql.delete) counts.deleted = await apply(step('delete'));
      }
      this.db.exec('COMMIT');
      return counts;
    } catch (error) {
      if (this.db.open && this.db.inTransaction) this.db.exec('ROLLBACK');
      // SQLite's own errors (a full disk) say which table and database.
      if (!String((error as { code?: unknown }).code ?? '').startsWith('SQLITE_')) throw error;
      throw new ConnectorError(`SQLite rejected the rows for ${table} in ${this.path}: ${(error as Error).message}`);
    } finally {
      try {
        if (this.db.open && this.db.prepare('SELECT 1 FROM pragma_database_list WHERE name = ?').get(SCRATCH)) this.db.exec(`DETACH DATABASE ${SCRATCH}`);
      } finally {
        removeStageDir(scratch);
      }
    }
  }

  /**
   * A directory of the temp directory holding an empty stage for `columns`, the line as its rowid (numbered 1,
   * 2, ... as the rows arrive, so the stage is read in line order with no sort). Stages left behind by a
   * process that is gone (killed while it staged) are removed first.
   */
  private scratch(columns: Column[]): string {
    let dir: string | undefined;
    try {
      dir = makeStageDir(this.scratchDir);
      const created = new Database(join(dir, 'stage.db'));
      try {
        created.exec(`CREATE TABLE "sluice_stage" (${STAGE_LINE} INTEGER PRIMARY KEY, ${columns.map((c) => `${quote(c.name)} ${SQL_TYPES[c.type]}`).join(', ')})`);
      } finally {
        created.close();
      }
      return dir;
    } catch (error) {
      if (dir) removeStageDir(dir);
      throw this.stageFailed(error);
    }
  }

  private stageFailed(error: unknown): Error {
    const reason = (error as { code?: unknown }).code === 'SQLITE_FULL' ? 'it is full' : (error as Error).message;
    return new ConnectorError(`Could not stage the rows in the temp directory ${this.scratchDir} (TMPDIR): ${reason}`);
  }

  /**
   * A write on the database's own connection, without blocking the event loop while another connection holds
   * the write lock: SQLite's own wait for it sleeps the whole process, so the write is tried without it, every
   * 20 ms, for up to LOCK_WAIT_MS (then SQLite's "database is locked").
   */
  private async unlocked<T>(write: () => T, signal?: AbortSignal): Promise<T> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    this.db.pragma('busy_timeout = 0');
    try {
      for (;;) {
        try {
          return write();
        } catch (error) {
          const code = String((error as { code?: unknown }).code);
          // Not BUSY_SNAPSHOT: a read transaction's snapshot that went stale does not come right by waiting.
          if (!code.startsWith('SQLITE_BUSY') || code === 'SQLITE_BUSY_SNAPSHOT' || Date.now() >= deadline) throw error;
        }
        if (signal?.aborted) throw new Interrupted(signal.reason);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      this.db.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
    }
  }

  /**
   * Stages every batch, checked first, into the scratch `file` on a thread of its own: a batch is parsed and
   * checked while the one before is written. Answers how many rows there were.
   */
  private async stageAll(file: string, names: string[], batches: AsyncIterable<Row[]>, signal: AbortSignal | undefined, checks: Array<ValueCheck | null>) {
    const writer = (this.staging = new SqliteWriter(file, { scratch: true }));
    const sql = { into: `INSERT INTO "sluice_stage" (${names.map(quote).join(', ')}) VALUES `, tuple: `(${names.map(() => '?').join(', ')})`, upsert: '' };
    let line = 0;
    let writing: Promise<void> | undefined;
    try {
      for await (const rows of batches) {
        if (signal?.aborted) throw new Interrupted(signal.reason);
        checkRows(rows, names, checks, line + 1);
        line += rows.length;
        const batch = insertBatch(sql, names, rows);
        await writing;
        // Handled at once, and awaited once the next batch is read: it may fail (an interrupt, a full disk) meanwhile.
        writing = writer.write(batch).catch((error) => {
          throw error instanceof Interrupted ? error : this.stageFailed(error);
        });
        writing.catch(() => undefined);
      }
      await writing;
    } finally {
      await writer.close();
      this.staging = undefined;
    }
    if (signal?.aborted) throw new Interrupted(signal.reason);
    return line;
  }

  /**
   * One statement of the apply, built over the stage, in a savepoint. When a constraint refuses a row (NOT NULL,
   * UNIQUE, CHECK, a STRICT table's type), it is rolled back and run over beginnings of the stage to find the row.
   */
  private async applyStep(build: (from: string) => string, stage: string, rows: number, staged: string[], all: string[]): Promise<number> {
    const attempt = (from: string, keep: boolean): number | Error => {
      this.db.exec('SAVEPOINT sluice_step');
      try {
        const { changes } = this.db.prepare(build(from)).run();
        if (keep) return changes;
        this.db.exec('ROLLBACK TO sluice_step');
        return changes;
      } catch (error) {
        this.db.exec('ROLLBACK TO sluice_step');
        if (!/^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG)/.test(String((error as { code?: unknown }).code))) throw error;
        return error as Error;
      } finally {
        this.db.exec('RELEASE sluice_step');
      }
    };
    const whole = attempt(stage, true);
    if (typeof whole === 'number') return whole;
    const { row, error } = await firstFailing(rows, whole, (n) => {
      const outcome = attempt(stagePrefix(stage, n), false);
      return typeof outcome === 'number' ? null : outcome;
    });
    // "NOT NULL constraint failed: people.name": the columns come after the colon.
    const [column = '(not named by SQLite)'] = columnsIn(error.message.replace(/^[^:]*:/, ''), staged, all);
    const notNull = (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_NOTNULL';
    throw new RowRejected(row, column, !notNull ? error.message : staged.includes(column) ? NOT_NULL : `${NOT_NULL} and has no default (the file has no such column)`);
  }

  /**
   * A batch a writer thread is writing (a replication's, or an upload's being staged) is rolled back, or, once
   * its COMMIT has begun, reported written; a wait for another connection's lock stops at its next try; anything
   * else is synchronous, so never in flight when a cancel is seen. The timeouts do not apply: the file is local
   * and a lock is waited for at most LOCK_WAIT_MS.
   */
  interrupt(): void {
    this.writer?.interrupt('interrupted');
    this.staging?.interrupt('interrupted');
  }

  async close(): Promise<void> {
    await this.writer?.close();
    if (this.db.open) this.db.close();
  }
}
