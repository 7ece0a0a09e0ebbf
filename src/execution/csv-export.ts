import { stringify } from 'csv-stringify/sync';
import type { StepMetrics } from '../runs/run.decider.js';
import type { Column, Connector } from './connectors/connector.js';
import { bounded } from './connectors/limits.js';
import { progressMeter } from './sync-progress.js';

export interface ExportOptions {
  connector: Connector;
  table: string;
  batchSize: number;
  /** Takes the CSV's bytes; a rejection of the stream (a failure, a cancel) must leave nothing behind. */
  write: (content: AsyncIterable<Uint8Array>) => Promise<unknown>;
  /** Checked between batches: a stopping run stops there, and nothing is kept. */
  shouldStop?: () => boolean;
  /** Aborted to give up the batch in flight (a cancel, the end of the shutdown grace). */
  signal?: AbortSignal;
  /** Called once the columns are known, before any row moves. */
  onStart?: () => Promise<void>;
  /** Called at most once a second while rows move, and once at the end. */
  onProgress?: (metrics: StepMetrics) => Promise<void>;
  tally?: { rowsRead: number; rowsWritten: number };
}

export interface ExportOutcome {
  rowsRead: number;
  rowsWritten: number;
  cancelled: boolean;
}

const NUMERIC = new Set<Column['type']>(['integer', 'real', 'numeric']);
const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const FORMULA = /^[=+\-@\t\r\0]/;

/** A value as a cell's text: NULL empty, bytes base64, dates ISO 8601, objects JSON. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return JSON.stringify(value) ?? String(value);
}

/**
 * A value as an exported cell. A cell whose text a spreadsheet would take for a formula (it starts with =, +,
 * -, @, tab, carriage return or NUL) gets a leading `'`, as OWASP advises against CSV injection: an export
 * opened in Excel or LibreOffice must not run `=HYPERLINK(...)` or `=cmd|...` planted in a row by whoever wrote
 * it. The rule is applied to the final text of every cell, whatever the value was: base64 bytes may start with
 * `+`, a date past year 9999 too. Only numbers are left alone (a -5 is no formula, a -Infinity would be), also
 * where a driver hands them out as text (PostgreSQL numeric).
 */
export function exportCell(value: unknown, column: Column): string {
  const text = cellText(value);
  if (!FORMULA.test(text)) return text;
  const number = (typeof value === 'number' || typeof value === 'bigint' || NUMERIC.has(column.type)) && NUMBER.test(text);
  return number ? text : `'${text}`;
}

/** Writes a whole table as CSV with a header row, batch by batch: memory holds one batch. */
export async function exportCsv(o: ExportOptions): Promise<ExportOutcome> {
  const signal = o.signal ?? new AbortController().signal;
  const tally = o.tally ?? { rowsRead: 0, rowsWritten: 0 };
  const guard = <T>(work: Promise<T>) => bounded(work, { ms: 0, what: '' }, signal);
  const columns = await guard(o.connector.columns(o.table));
  await o.onStart?.();
  const meter = progressMeter(o.onProgress ?? (async () => undefined));
  // A flag, not an error class: the file store may wrap what the stream threw.
  let stopped = false;
  const bytes = async function* () {
    yield Buffer.from(stringify([columns.map((c) => c.name)]));
    const rows = o.connector.read({ table: o.table, columns: columns.map((c) => ({ name: c.name, as: c.name })), batchSize: o.batchSize })[Symbol.asyncIterator]();
    try {
      for (;;) {
        const started = performance.now();
        const next = await guard(rows.next());
        if (next.done) break;
        const batch = next.value;
        tally.rowsRead += batch.length;
        yield Buffer.from(stringify(batch.map((row) => columns.map((c) => exportCell(row[c.name], c)))));
        tally.rowsWritten += batch.length;
        await meter.batch(batch.length, performance.now() - started, batch[batch.length - 1][columns[0].name]);
        if (o.shouldStop?.()) {
          stopped = true;
          throw new Error('Stopped at a batch boundary');
        }
      }
    } finally {
      // An interrupted read is still pending, and a generator returns only after it settles: the connector's
      // interrupt() settles it, so nothing waits for that here.
      const closing = rows.return?.();
      if (signal.aborted) closing?.catch(() => undefined);
      else await closing;
    }
  };
  try {
    await o.write(bytes());
  } catch (error) {
    if (!stopped) throw error;
    return { ...tally, cancelled: true };
  }
  await meter.end();
  return { ...tally, cancelled: false };
}
