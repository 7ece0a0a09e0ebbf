import type { StepMetrics } from '../runs/run.decider.js';
import { type ApplyCounts, type Column, type Connector, ConnectorError } from './connectors/connector.js';
import { bounded } from './connectors/limits.js';
import { openUpload, type UploadContent } from './csv-upload.js';
import { nextTurn, progressMeter } from './sync-progress.js';

export interface ImportOptions {
  connector: Connector;
  table: string;
  /** The uploaded CSV, a header row first. */
  content: UploadContent;
  /** Import: upsert (append without keys); Delete: delete the rows whose keys the file has. */
  kind: 'Import' | 'Delete';
  /** Columns rows are matched by; null: the table's primary key. */
  keyColumns: string[] | null;
  batchSize: number;
  /** False for stores without column types (CSV): values are taken as text. */
  checkTypes: boolean;
  /** Checked between batches: a stopping run stops there, and nothing is applied. */
  shouldStop?: () => boolean;
  /** Aborted to give up at once (a cancel, the end of the shutdown grace): nothing is applied. */
  signal?: AbortSignal;
  /** Called once the header is checked, before any row moves, with how rows are matched. */
  onStart?: (how: string) => Promise<void>;
  /** Called at most once a second while rows are staged, and once at the end. */
  onProgress?: (metrics: StepMetrics) => Promise<void>;
  /** Kept up to date batch by batch; rowsWritten stays 0 until the rows are applied. */
  tally?: { rowsRead: number; rowsWritten: number };
}

export interface ImportOutcome extends ApplyCounts {
  rowsRead: number;
  rowsWritten: number;
  cancelled: boolean;
}

/**
 * Imports (or deletes by) an uploaded CSV into one table, all or nothing: the file is checked line by line
 * while its rows are staged in the destination's transaction, and a bad line, a cancel or any failure rolls
 * everything back. Memory holds one batch.
 */
export async function importCsv(o: ImportOptions): Promise<ImportOutcome> {
  const signal = o.signal ?? new AbortController().signal;
  const tally = o.tally ?? { rowsRead: 0, rowsWritten: 0 };
  const columns = await bounded(o.connector.columns(o.table), { ms: 0, what: '' }, signal);
  // A flag, not an error class: the connector may wrap what the rows threw.
  let stopped = false;
  const upload = await openUpload(o.content, { name: o.table, columns }, { batchSize: o.batchSize, checkTypes: o.checkTypes, signal });
  try {
    const { keys, how } = matchBy(o, columns, upload.columns);
    await o.onStart?.(how);
    const meter = progressMeter(o.onProgress ?? (async () => undefined));
    const first = upload.columns[0].name;
    const counted = async function* () {
      let started = performance.now();
      for await (const batch of upload.batches) {
        tally.rowsRead += batch.length;
        yield batch;
        await nextTurn();
        await meter.batch(batch.length, performance.now() - started, batch[batch.length - 1][first]);
        if (o.shouldStop?.()) {
          stopped = true;
          throw new Error('Stopped at a batch boundary');
        }
        started = performance.now();
      }
    };
    // A delete stages only the keys.
    const staged = o.kind === 'Delete' ? upload.columns.filter((c) => keys!.includes(c.name)) : upload.columns;
    const mode = o.kind === 'Delete' ? 'delete' : 'upsert';
    const counts = await o.connector.applyAll(o.table, staged, counted(), { mode, keys, signal });
    tally.rowsWritten = counts.updated + counts.inserted + counts.deleted;
    await meter.end();
    return { ...counts, ...tally, cancelled: false };
  } catch (error) {
    if (!stopped) throw error;
    return { updated: 0, inserted: 0, deleted: 0, ...tally, cancelled: true };
  } finally {
    await upload.close();
  }
}

/** The key columns rows are matched by (null: none, rows are appended) and how that reads in the log. */
function matchBy(o: ImportOptions, table: Column[], header: Column[]): { keys: string[] | null; how: string } {
  const inHeader = new Set(header.map((c) => c.name));
  const verb = o.kind === 'Delete' ? 'by' : 'upsert by';
  const needed = (keys: string[], why: string) => {
    const missing = keys.filter((k) => !inHeader.has(k));
    if (missing.length) throw new ConnectorError(`Line 1: the header has no column ${missing.join(', ')}; ${why}`);
    return { keys, how: `${verb} ${keys.join(', ')}` };
  };
  if (o.keyColumns?.length) {
    const keys = [...new Set(o.keyColumns)].map((k) => {
      const column = table.find((c) => c.name.toLowerCase() === k.toLowerCase());
      if (!column) throw new ConnectorError(`Key column ${k} is not a column of table ${o.table}`);
      return column.name;
    });
    return needed(keys, `rows are matched by ${keys.join(', ')}`);
  }
  const primaryKey = table.filter((c) => c.primaryKey).map((c) => c.name);
  if (o.kind === 'Delete') {
    if (!primaryKey.length) throw new ConnectorError(`Table ${o.table} has no primary key and the data sync names no key columns: nothing says which rows to delete`);
    return needed(primaryKey, `rows are matched by the primary key ${primaryKey.join(', ')}`);
  }
  if (primaryKey.length && primaryKey.every((k) => inHeader.has(k))) return { keys: primaryKey, how: `${verb} ${primaryKey.join(', ')}` };
  // Without its key (an auto-increment id, say), every row is new.
  return { keys: null, how: primaryKey.length ? `append: the file has no primary key column ${primaryKey.filter((k) => !inHeader.has(k)).join(', ')}` : 'append' };
}
