import pg from 'pg';
import Cursor from 'pg-cursor';
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
} from './connector.js';
import { connectorLimits, type ConnectorLimits, Interrupted } from './limits.js';
import { PgSessions } from './postgres-sessions.js';
import { checkRows, columnsIn, declaredCheck, firstFailing, NOT_NULL, RowRejected, shown, STAGE_LINE, stagedApply, stagePrefix } from './sql-apply.js';
import { prepareSqlTable, quoteIdent as quote, upsertClause } from './sql-tables.js';

// Values as the other stores hold them: 64-bit integers as numbers where exact, dates and times as ISO text.
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    switch (oid) {
      case 20: // int8
        return (v: string) => (Number.isSafeInteger(Number(v)) ? Number(v) : v);
      case 1082: // date
      case 1114: // timestamp without time zone
        return (v: string) => v;
      case 1184: // timestamptz
        return (v: string) => new Date(v).toISOString();
      default:
        return pg.types.getTypeParser(oid, format as 'text');
    }
  },
};

const MAX_PARAMS = 60_000;

/** The column types of a query's result, by type oid (anything else is text). */
const OID_TYPES: Record<number, ColumnType> = {
  16: 'boolean',
  17: 'blob',
  20: 'integer',
  21: 'integer',
  23: 'integer',
  700: 'real',
  701: 'real',
  1700: 'numeric',
  1082: 'date',
  1114: 'timestamp',
  1184: 'timestamp',
};

const PG_TYPES: Record<ColumnType, string> = {
  integer: 'BIGINT',
  real: 'DOUBLE PRECISION',
  numeric: 'NUMERIC',
  text: 'TEXT',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMPTZ',
  blob: 'BYTEA',
};

function columnType(dataType: string): ColumnType {
  if (['smallint', 'integer', 'bigint'].includes(dataType)) return 'integer';
  if (['real', 'double precision'].includes(dataType)) return 'real';
  if (dataType === 'numeric') return 'numeric';
  if (dataType === 'boolean') return 'boolean';
  if (dataType === 'date') return 'date';
  if (dataType.startsWith('timestamp')) return 'timestamp';
  if (dataType === 'bytea') return 'blob';
  return 'text';
}

/** A PostgreSQL database by URL, through `pg`; reads stream through a server-side cursor on a session of their own. */
export class PostgresConnector implements Connector {
  private readonly sessions: PgSessions;
  /** The session for everything but cursor reads, opened on first use. */
  private main: Promise<pg.Client> | undefined;
  /** The main session while applyAll's COMMIT is on its way: an interrupt leaves it alone. */
  private committing: pg.Client | undefined;

  constructor(url: string, limits: ConnectorLimits = connectorLimits()) {
    this.sessions = new PgSessions(url, limits, types);
  }

  private session(): Promise<pg.Client> {
    if (!this.main) {
      this.main = this.sessions.connect();
      this.main.catch(() => (this.main = undefined));
    }
    return this.main;
  }

  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    const client = await this.session();
    try {
      return await this.sessions.ask<R>(client, sql, params);
    } catch (error) {
      if (!this.sessions.isOpen(client)) this.main = undefined;
      throw error;
    }
  }

  private split(table: string, schema: string | null): { schema: string; name: string; sql: string } {
    const [s, n] = table.includes('.') ? (table.split('.', 2) as [string, string]) : [schema ?? 'public', table];
    return { schema: s, name: n, sql: `${quote(s)}.${quote(n)}` };
  }

  async columns(table: string, schema: string | null = null): Promise<Column[]> {
    const t = this.split(table, schema);
    const { rows } = await this.query<{ column_name: string; data_type: string; character_maximum_length: number | null; pk: boolean }>(
      `SELECT c.column_name, c.data_type, c.character_maximum_length,
              EXISTS (SELECT 1 FROM information_schema.key_column_usage k
                        JOIN information_schema.table_constraints tc ON tc.constraint_name = k.constraint_name AND tc.table_schema = k.table_schema
                       WHERE tc.constraint_type = 'PRIMARY KEY' AND k.table_schema = c.table_schema AND k.table_name = c.table_name
                         AND k.column_name = c.column_name) AS pk
         FROM information_schema.columns c WHERE c.table_schema = $1 AND c.table_name = $2 ORDER BY c.ordinal_position`,
      [t.schema, t.name],
    );
    if (rows.length === 0) throw new ConnectorError(`Table ${t.schema}.${t.name} does not exist in PostgreSQL`);
    return rows.map((r) => ({ name: r.column_name, type: columnType(r.data_type), maxLength: r.character_maximum_length, primaryKey: r.pk }));
  }

  async queryColumns(sql: string): Promise<Column[]> {
    // A parameter sends it by the extended protocol, which takes one statement: `...; DROP ...` is refused, not run.
    const { fields } = await this.query(`SELECT * FROM (${sql}) AS source_query LIMIT $1`, [0]);
    return fields.map((f) => ({ name: f.name, type: OID_TYPES[f.dataTypeID] ?? 'text' }));
  }

  async *read(request: ReadRequest): AsyncIterable<Row[]> {
    const params: unknown[] = [];
    const param = (v: unknown) => (params.push(v), `$${params.length}`);
    const where: string[] = [];
    if (request.where) where.push(conditionToSql(request.where, quote, param));
    if (request.incremental && request.incremental.after !== null && request.incremental.after !== undefined) {
      where.push(`${quote(request.incremental.column)} > ${param(request.incremental.after)}`);
    }
    if (request.startDate) where.push(`${quote(request.startDate.column)} >= ${param(request.startDate.from)}`);
    const sql =
      `SELECT ${request.columns.map((c) => `${quote(c.name)} AS ${quote(c.as)}`).join(', ')} FROM ${request.sql ? `(${request.sql}) AS source_query` : this.split(request.table, null).sql}` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      (request.incremental ? ` ORDER BY ${quote(request.incremental.column)}` : '');
    const client = await this.sessions.connect();
    try {
      const cursor = client.query(new Cursor<Row>(sql, params));
      for (;;) {
        const rows = await this.sessions.await(client, cursor.read(request.batchSize), 'batch');
        if (rows.length === 0) break;
        yield rows;
      }
    } finally {
      // Ending the session closes its cursor too.
      await this.sessions.end(client);
    }
  }

  async prepare(table: string, columns: Column[], options: PrepareOptions) {
    const t = this.split(table, options.schema);
    await this.query(`CREATE SCHEMA IF NOT EXISTS ${quote(t.schema)}`);
    return prepareSqlTable(
      {
        sql: t.sql,
        display: `${t.schema}.${t.name}`,
        exists: async () =>
          Boolean((await this.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2`, [t.schema, t.name])).rowCount),
        columns: () => this.columns(t.name, t.schema),
        exec: async (sql) => void (await this.query(sql)),
        typeOf: (c) => (c.type === 'text' && c.maxLength ? `VARCHAR(${c.maxLength})` : PG_TYPES[c.type]),
        truncate: `TRUNCATE ${t.sql}`,
      },
      columns,
      options,
    );
  }

  async write(table: string, columns: Column[], rows: Row[], options: WriteOptions): Promise<void> {
    const t = this.split(table, options.schema);
    const names = columns.map((c) => c.name);
    const limits = columns.map((c) => (options.autoTruncate && c.maxLength ? c.maxLength : null));
    const upsert = upsertClause(names, options.primaryKey);
    const perStatement = Math.max(1, Math.floor(MAX_PARAMS / names.length));
    await this.query('BEGIN');
    try {
      for (let i = 0; i < rows.length; i += perStatement) {
        const chunk = rows.slice(i, i + perStatement);
        const params: unknown[] = [];
        const tuples = chunk.map((row) => `(${names.map((n, j) => (params.push(fit(row[n], limits[j])), `$${params.length}`)).join(', ')})`);
        await this.query(`INSERT INTO ${t.sql} (${names.map(quote).join(', ')}) VALUES ${tuples.join(', ')}${upsert}`, params);
      }
      await this.query('COMMIT');
    } catch (error) {
      // A session that was given up rolls back on the server when its socket closes.
      if (this.main) await this.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Stages the rows in a temporary table of the target's own column types (so values are checked and cast
   * as the target would), then applies them with a few statements, all in one transaction. What the server
   * refuses is looked into only then, to name its row and column: a staged chunk by staging ever shorter
   * beginnings of it, then its row value by value; an apply statement (NOT NULL, UNIQUE, CHECK, a foreign
   * key) by applying ever shorter beginnings of the stage, the column from the error or its constraint.
   */
  async applyAll(table: string, columns: Column[], batches: AsyncIterable<Row[]>, options: ApplyOptions): Promise<ApplyCounts> {
    const t = this.split(table, null);
    const names = columns.map((c) => c.name);
    const stage = 'pg_temp."sluice_stage"';
    const create = `CREATE TEMP TABLE "sluice_stage" ON COMMIT DROP AS SELECT NULL::bigint AS ${STAGE_LINE}, ${names.map(quote).join(', ')} FROM ${t.sql} WITH NO DATA`;
    const perStatement = Math.max(1, Math.floor(MAX_PARAMS / (names.length + 1)));
    const counts: ApplyCounts = { updated: 0, inserted: 0, deleted: 0 };
    await this.query('BEGIN');
    try {
      // An empty NOT NULL column is named at once, rather than found by applying beginnings of the stage.
      const { rows: required } = await this.query<{ name: string }>(
        `SELECT attname::text AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND attnotnull AND NOT attisdropped`,
        [t.sql],
      );
      const checks = names.map((n) => (options.mode === 'upsert' && required.some((r) => r.name === n) ? declaredCheck('text', true) : null));
      await this.query(create);
      let line = 0;
      for await (const rows of batches) {
        if (options.signal?.aborted) throw new Interrupted(options.signal.reason);
        checkRows(rows, names, checks, line + 1);
        for (let i = 0; i < rows.length; i += perStatement) {
          const chunk = rows.slice(i, i + perStatement);
          if ((await this.attempt(...staging(stage, names, chunk, line))).refused) throw await this.refusedValue(create, stage, names, chunk, line);
          line += chunk.length;
        }
      }
      const sql = stagedApply(t.sql, stage, names, options);
      if (sql.index) await this.query(`CREATE INDEX ON ${stage} (${sql.index.map(quote).join(', ')})`);
      // Temporary tables are never analyzed by autovacuum: without statistics the planner guesses their size.
      await this.query(`ANALYZE ${stage}`);
      const apply = (which: 'update' | 'insert' | 'delete') => this.applyStep((from) => stagedApply(t.sql, from, names, options)[which]!, stage, line, names);
      if (sql.update) counts.updated = await apply('update');
      if (sql.insert) counts.inserted = await apply('insert');
      if (sql.delete) counts.deleted = await apply('delete');
      // Once COMMIT is sent, an interrupt could no longer tell whether the rows were applied: it waits for the
      // answer (bounded by read_timeout_ms), so the launch reports what happened.
      this.committing = await this.session();
      await this.query('COMMIT').finally(() => (this.committing = undefined));
      return counts;
    } catch (error) {
      // A session that was given up rolls back on the server when its socket closes.
      if (this.main) await this.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * One statement on the main session; a value or a row the server refuses (SQLSTATE classes 22 and 23) is
   * answered with the server's error, whose fields (column, constraint) `sessions` would not pass on.
   */
  private async attempt(sql: string, params: unknown[] = []): Promise<{ result?: pg.QueryResult; refused?: pg.DatabaseError }> {
    const client = await this.session();
    let refused: pg.DatabaseError | undefined;
    const work = client.query(sql, params).catch((error: unknown) => {
      if (error instanceof pg.DatabaseError && /^2[23]/.test(error.code ?? '')) refused = error;
      throw error;
    });
    try {
      return { result: await this.sessions.await(client, work, 'answer') };
    } catch (error) {
      if (refused && this.sessions.isOpen(client)) return { refused };
      if (!this.sessions.isOpen(client)) this.main = undefined;
      throw error;
    }
  }

  /** The first value of a chunk the server would not stage, looked for in a transaction of its own. */
  private async refusedValue(create: string, stage: string, names: string[], chunk: Row[], before: number): Promise<RowRejected> {
    await this.query('ROLLBACK');
    await this.query('BEGIN');
    await this.query(create);
    await this.query('SAVEPOINT sluice_probe');
    const probe = async (sql: string, params: unknown[]) => {
      const { refused } = await this.attempt(sql, params);
      await this.query('ROLLBACK TO SAVEPOINT sluice_probe');
      return refused ?? null;
    };
    const { row, error } = await firstFailing(chunk.length, undefined as pg.DatabaseError | undefined, (n) => probe(...staging(stage, names, chunk.slice(0, n), before)));
    for (const name of names) {
      const value = chunk[row - 1][name];
      const refused = await probe(`INSERT INTO ${stage} (${quote(name)}) VALUES ($1)`, [fit(value, null)]);
      if (refused) return new RowRejected(before + row, name, refused.message.includes(shown(value)) ? refused.message : `${shown(value)}: ${refused.message}`);
    }
    return new RowRejected(before + row, '(not named by PostgreSQL)', error?.message ?? 'refused by PostgreSQL');
  }

  /** One statement of the apply in a savepoint; a row the table refuses is found, and thrown as RowRejected. */
  private async applyStep(build: (from: string) => string, stage: string, rows: number, staged: string[]): Promise<number> {
    await this.query('SAVEPOINT sluice_step');
    const whole = await this.attempt(build(stage));
    if (whole.result) {
      await this.query('RELEASE SAVEPOINT sluice_step');
      return whole.result.rowCount ?? 0;
    }
    await this.query('ROLLBACK TO SAVEPOINT sluice_step');
    const { row, error } = await firstFailing(rows, whole.refused!, async (n) => {
      const { refused } = await this.attempt(build(stagePrefix(stage, n)));
      await this.query('ROLLBACK TO SAVEPOINT sluice_step');
      return refused ?? null;
    });
    let named = error.column ? [error.column] : [];
    if (!named.length && error.constraint) {
      // A foreign key names the referencing table's columns and the referenced ones (a delete's key).
      const { rows: found } = await this.query<{ own: string[]; referenced: string[] }>(
        `SELECT ARRAY(SELECT attname::text FROM pg_attribute WHERE attrelid = c.conrelid AND attnum = ANY (c.conkey)) AS own,
                ARRAY(SELECT attname::text FROM pg_attribute WHERE attrelid = c.confrelid AND attnum = ANY (c.confkey)) AS referenced
           FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.conname = $1 AND n.nspname = $2`,
        [error.constraint, error.schema ?? 'public'],
      );
      named = found.flatMap((r) => [...r.own, ...r.referenced]);
    }
    if (!named.length) named = columnsIn(`${error.message} ${error.detail ?? ''}`, staged);
    const column = named.find((n) => staged.includes(n)) ?? named[0] ?? '(not named by PostgreSQL)';
    const problem =
      error.code === '23502'
        ? staged.includes(column)
          ? NOT_NULL
          : `${NOT_NULL} and has no default (the file has no such column)`
        : `${error.message}${error.detail?.startsWith('Key ') ? ` (${error.detail})` : ''}`;
    throw new RowRejected(row, column, problem);
  }

  interrupt(): void {
    this.sessions.interrupt(this.committing);
  }

  async close(): Promise<void> {
    const main = await this.main?.catch(() => undefined);
    if (main) await this.sessions.end(main);
  }
}

/** A statement staging `rows`, numbered on from `before`. */
function staging(stage: string, names: string[], rows: Row[], before: number): [string, unknown[]] {
  const params: unknown[] = [];
  const tuples = rows.map((row, r) => {
    params.push(before + r + 1);
    const first = params.length;
    for (const n of names) params.push(fit(row[n], null));
    return `($${first}, ${names.map((_, j) => `$${first + j + 1}`).join(', ')})`;
  });
  return [`INSERT INTO ${stage} (${STAGE_LINE}, ${names.map(quote).join(', ')}) VALUES ${tuples.join(', ')}`, params];
}

function fit(value: unknown, limit: number | null): unknown {
  if (value === undefined) return null;
  if (limit !== null && typeof value === 'string' && value.length > limit) return value.slice(0, limit);
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) return JSON.stringify(value);
  return value;
}
