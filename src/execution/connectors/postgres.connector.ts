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
import { STAGE_LINE, stagedApply } from './sql-apply.js';
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
      `SELECT ${request.columns.map((c) => `${quote(c.name)} AS ${quote(c.as)}`).join(', ')} FROM ${this.split(request.table, null).sql}` +
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
   * as the target would), then applies them with a few statements, all in one transaction.
   */
  async applyAll(table: string, columns: Column[], batches: AsyncIterable<Row[]>, options: ApplyOptions): Promise<ApplyCounts> {
    const t = this.split(table, null);
    const names = columns.map((c) => c.name);
    const stage = 'pg_temp."sluice_stage"';
    const perStatement = Math.max(1, Math.floor(MAX_PARAMS / (names.length + 1)));
    const counts: ApplyCounts = { updated: 0, inserted: 0, deleted: 0 };
    await this.query('BEGIN');
    try {
      await this.query(`CREATE TEMP TABLE "sluice_stage" ON COMMIT DROP AS SELECT NULL::bigint AS ${STAGE_LINE}, ${names.map(quote).join(', ')} FROM ${t.sql} WITH NO DATA`);
      let line = 0;
      for await (const rows of batches) {
        if (options.signal?.aborted) throw new Interrupted(options.signal.reason);
        for (let i = 0; i < rows.length; i += perStatement) {
          const params: unknown[] = [];
          const tuples = rows.slice(i, i + perStatement).map((row) => {
            params.push(++line);
            const first = params.length;
            for (const n of names) params.push(fit(row[n], null));
            return `($${first}, ${names.map((_, j) => `$${first + j + 1}`).join(', ')})`;
          });
          await this.query(`INSERT INTO ${stage} (${STAGE_LINE}, ${names.map(quote).join(', ')}) VALUES ${tuples.join(', ')}`, params);
        }
      }
      const sql = stagedApply(t.sql, stage, names, options);
      if (sql.index) await this.query(`CREATE INDEX ON ${stage} (${sql.index.map(quote).join(', ')})`);
      // Temporary tables are never analyzed by autovacuum: without statistics the planner guesses their size.
      await this.query(`ANALYZE ${stage}`);
      if (sql.update) counts.updated = (await this.query(sql.update)).rowCount ?? 0;
      if (sql.insert) counts.inserted = (await this.query(sql.insert)).rowCount ?? 0;
      if (sql.delete) counts.deleted = (await this.query(sql.delete)).rowCount ?? 0;
      await this.query('COMMIT');
      return counts;
    } catch (error) {
      // A session that was given up rolls back on the server when its socket closes.
      if (this.main) await this.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  interrupt(): void {
    this.sessions.interrupt();
  }

  async close(): Promise<void> {
    const main = await this.main?.catch(() => undefined);
    if (main) await this.sessions.end(main);
  }
}

function fit(value: unknown, limit: number | null): unknown {
  if (value === undefined) return null;
  if (limit !== null && typeof value === 'string' && value.length > limit) return value.slice(0, limit);
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) return JSON.stringify(value);
  return value;
}
