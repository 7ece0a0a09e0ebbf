import type { JobSettings } from '../jobs/job.model.js';
import type { StepMetrics } from '../runs/run.decider.js';
import { type Column, type Connector, ConnectorError, type ReadRequest, type Row, compareValues, resolveColumns } from './connectors/connector.js';
import { bounded } from './connectors/limits.js';
import { nextTurn } from './sync-progress.js';
import { conditionColumns, type TaskQuery } from '../jobs/task-query.js';
import { renderSourceQuery } from '../jobs/source-query.js';

export interface TaskOutcome {
  source: string;
  destination: string;
  rowsRead: number;
  rowsWritten: number;
  watermark: unknown;
  cancelled: boolean;
}

export interface ReplicateOptions {
  source: Connector;
  destination: Connector;
  query: TaskQuery;
  settings: JobSettings;
  incrementalColumn: string | null;
  watermark: unknown;
  /** A raw SQL template read instead of the query's source table; the watermark fills its max_primary_key. */
  sourceQuery?: string | null;
  /** The primary key of a destination table this task creates (a Siren ingestion's pk_field), so loads upsert. */
  keyColumns?: string[] | null;
  /** Checked at every batch boundary: a run that is stopping stops there, with what it wrote kept. */
  shouldStop: () => boolean;
  /** Aborted to give up the batch in flight (a cancel, the end of the shutdown grace): rejects with Interrupted. */
  signal: AbortSignal;
  /** Called at most once a second while rows move. */
  onProgress: (metrics: StepMetrics) => Promise<void>;
  /** Called once the tables are known, before any row moves. */
  onStart?: (source: string, destination: string) => Promise<void>;
  /** Kept up to date batch by batch, so a failure or an interruption can still say what was done. */
  tally: { rowsRead: number; rowsWritten: number; watermark: unknown };
}

const DEFAULT_BATCH = 1000;
const PROGRESS_EVERY_MS = 1000;

/** Copies one task's rows from source to destination in batches; memory holds two batches at a time (one written, one read). */
export async function replicateTask(o: ReplicateOptions): Promise<TaskOutcome> {
  const { query, settings } = o;
  const guard = <T>(work: Promise<T>) => bounded(work, { ms: 0, what: '' }, o.signal);
  // A target emptied first is loaded whole: its max_primary_key section is left out.
  const sql = o.sourceQuery ? renderSourceQuery(o.sourceQuery, settings.truncate_table_data ? null : o.watermark) : undefined;
  const sourceColumns = await guard(sql ? queryColumns(o.source, sql) : o.source.columns(query.source));
  const selected = resolveColumns(sourceColumns, query.columns, query.source);
  const known = new Set(sourceColumns.map((c) => c.name.toLowerCase()));
  for (const column of conditionColumns(query.where)) {
    if (!known.has(column.toLowerCase())) throw new ConnectorError(`WHERE uses column ${column}, which source table ${query.source} does not have`);
  }
  const incremental = o.incrementalColumn ? selected.find((c) => c.name.toLowerCase() === o.incrementalColumn!.toLowerCase()) : undefined;
  if (o.incrementalColumn && !incremental) {
    throw new ConnectorError(`Incremental column ${o.incrementalColumn} is not among the columns read from ${sql ? 'the datasource query' : query.source}`);
  }
  const sourceName = sql ? 'datasource query' : query.source;
  const byName = new Map(sourceColumns.map((c) => [c.name, c]));
  const keys = new Set((o.keyColumns ?? []).map((k) => k.toLowerCase()));
  const wanted: Column[] = selected.map((s) => ({ ...byName.get(s.name)!, name: s.as, ...(keys.has(s.as.toLowerCase()) ? { primaryKey: true } : {}) }));
  const table = `${settings.table_name_prefix ?? ''}${query.destination}`;
  const destination = settings.destination_schema ? `${settings.destination_schema}.${table}` : table;
  await o.onStart?.(sourceName, destination);
  const prepared = await guard(
    o.destination.prepare(table, wanted, {
      drop: settings.drop_table,
      truncate: settings.truncate_table_data,
      alter: settings.alter_schema,
      schema: settings.destination_schema,
    }),
  );
  const wantedNames = new Set(wanted.map((c) => c.name.toLowerCase()));
  const writeColumns = prepared.columns.filter((c) => wantedNames.has(c.name.toLowerCase()));
  // Rows carry the wanted names; only a destination that spells a column differently needs them renamed.
  const rename = new Map(wanted.map((c) => [c.name.toLowerCase(), c.name]));
  const sameNames = writeColumns.every((c) => rename.get(c.name.toLowerCase()) === c.name);

  const outcome: TaskOutcome = { source: sourceName, destination, rowsRead: 0, rowsWritten: 0, watermark: o.watermark ?? null, cancelled: false };
  const latency = { min: Infinity, max: 0, total: 0, batches: 0 };
  let lastReport = Date.now();
  let sinceLastCheck = 0;
  let lastId: unknown = null;
  const request: ReadRequest = {
    table: query.source,
    sql,
    columns: selected,
    where: query.where,
    // A raw query filters itself (through its template): the watermark is only kept up to date for it.
    incremental: incremental && !sql ? { column: incremental.name, after: o.watermark ?? null } : undefined,
    startDate: incremental && !sql && settings.replicate_start_date ? { column: incremental.name, from: settings.replicate_start_date } : undefined,
    batchSize: settings.batch_size ?? DEFAULT_BATCH,
  };
  const rows = o.source.read(request)[Symbol.asyncIterator]();
  let ahead: Promise<IteratorResult<Row[]>> | undefined;
  try {
    for (;;) {
      const next = await (ahead ?? guard(rows.next()));
      ahead = undefined;
      if (next.done) break;
      const batch = next.value;
      const started = performance.now();
      outcome.rowsRead += batch.length;
      const aligned = sameNames ? batch : batch.map((row) => Object.fromEntries(writeColumns.map((c) => [c.name, row[rename.get(c.name.toLowerCase())!]])));
      // Not bounded by the signal: an interrupted destination settles its write itself (runStep interrupts it),
      // and a batch it could no longer stop is then counted, as the destination holds it.
      const writing = o.destination.write(table, writeColumns, aligned, {
        primaryKey: prepared.primaryKey,
        autoTruncate: settings.auto_truncate_strings,
        schema: settings.destination_schema,
      });
      // The next batch is read while this one is written, where the destination writes elsewhere (SQLite's
      // writer thread, a server). Awaited next time round; a write that fails first leaves it unread.
      ahead = guard(rows.next());
      ahead.catch(() => undefined);
      await writing;
      outcome.rowsWritten += batch.length;
      sinceLastCheck += batch.length;
      if (incremental) {
        for (const row of batch) {
          const v = row[incremental.as];
          if (v !== null && v !== undefined && (outcome.watermark === null || compareValues(v, outcome.watermark) > 0)) outcome.watermark = v;
        }
        lastId = outcome.watermark;
      } else {
        lastId = batch[batch.length - 1][selected[0]?.as] ?? null;
      }
      Object.assign(o.tally, { rowsRead: outcome.rowsRead, rowsWritten: outcome.rowsWritten, watermark: outcome.watermark });
      const ms = performance.now() - started;
      latency.min = Math.min(latency.min, ms);
      latency.max = Math.max(latency.max, ms);
      latency.total += ms;
      latency.batches++;
      if (Date.now() - lastReport >= PROGRESS_EVERY_MS) {
        await o.onProgress(metrics(outcome.rowsWritten, sinceLastCheck, latency, lastId));
        lastReport = Date.now();
        sinceLastCheck = 0;
      }
      if (o.shouldStop()) {
        outcome.cancelled = true;
        break;
      }
      await nextTurn();
    }
  } finally {
    // An interrupted read is still pending, and a generator returns only after it settles: the connector's
    // interrupt() settles it, so nothing waits for that here.
    const closing = rows.return?.();
    if (o.signal.aborted) closing?.catch(() => undefined);
    else await closing;
  }
  if (latency.batches) await o.onProgress(metrics(outcome.rowsWritten, sinceLastCheck, latency, lastId));
  return outcome;
}

function queryColumns(source: Connector, sql: string): Promise<Column[]> {
  if (!source.queryColumns) return Promise.reject(new ConnectorError('A SQL query can only be read from a PostgreSQL or SQLite datasource'));
  return source.queryColumns(sql);
}

function metrics(processed: number, since: number, l: { min: number; max: number; total: number; batches: number }, lastId: unknown): StepMetrics {
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    rowsProcessed: processed,
    sinceLastCheck: since,
    latencyMs: { min: round(l.min), max: round(l.max), avg: round(l.total / l.batches) },
    lastId,
  };
}
