import type { StepMetrics } from '../runs/run.decider.js';
import { type ApplyCounts, type Column, type Connector, ConnectorError } from './connectors/connector.js';
import { bounded } from './connectors/limits.js';
import { RowRejected } from './connectors/sql-apply.js';
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
  const lines = new RowLines();
  const upload = await openUpload(lines.watch(o.content), { name: o.table, columns }, { batchSize: o.batchSize, checkTypes: o.checkTypes, signal });
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
    // The store knows the row it refused by its number; the file's line is known here.
    if (error instanceof RowRejected) throw new ConnectorError(`Line ${lines.lineOf(error.row)}, column ${error.column}: ${error.problem}`);
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

/**
 * The line each row of an upload starts on, counted as the upload counts them (the header is line 1, a line
 * break in a quoted value counts, blank lines are skipped), from the bytes on their way to the parser. Only
 * where lines stop following row numbers (a multi-line value, a blank line) is anything kept, so memory holds
 * a few numbers for most files. Records end at LF, CRLF or CR; quotes open a value only at its start.
 */
class RowLines {
  /** Pairs of (row, line - row) from that row on. */
  private readonly steps: number[] = [];
  private offset = 1;
  private records = 0;
  private line = 1;
  private start = 1;
  /** 0: at a field's start, 1: in a plain field, 2: in a quoted one, 3: just after a quote in a quoted one. */
  private state = 0;
  private content = false;
  private cr = false;
  private first = true;

  async *watch(content: UploadContent): AsyncGenerator<Uint8Array | string> {
    for await (const chunk of content) {
      this.scan(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      yield chunk;
    }
    this.end();
  }

  lineOf(row: number): number {
    let offset = 1;
    for (let i = 0; i < this.steps.length && this.steps[i] <= row; i += 2) offset = this.steps[i + 1];
    return row + offset;
  }

  private scan(bytes: Uint8Array) {
    let i = 0;
    // The decoder drops a byte order mark.
    if (this.first && bytes.length) {
      this.first = false;
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
    }
    // Locals in the loop: this runs once a byte.
    let { state, content, cr, line } = this;
    let quote = -1;
    let lone = -1;
    for (; i < bytes.length; i++) {
      // A whole line with no quote and no CR but its CRLF's is one record: native searches skip it.
      if (state === 0 && !content && !cr) {
        const lf = bytes.indexOf(0x0a, i);
        if (quote < i && quote !== -2) quote = bytes.indexOf(0x22, i);
        if (lone < i && lone !== -2) lone = bytes.indexOf(0x0d, i);
        quote = quote === -1 ? -2 : quote;
        lone = lone === -1 ? -2 : lone;
        const crlf = lf > i && bytes[lf - 1] === 0x0d ? 1 : 0;
        if (lf >= 0 && (quote === -2 || quote > lf) && (lone === -2 || lone >= lf - crlf)) {
          this.end(lf - crlf > i, line);
          line++;
          i = lf;
          continue;
        }
      }
      const b = bytes[i];
      const afterCr = cr;
      cr = false;
      if (state === 2) {
        if (b === 0x22) state = 3;
        else {
          content = true;
          if (b === 0x0a) line++;
        }
      } else if (b === 0x0a || b === 0x0d) {
        if (b === 0x0d) cr = true;
        else if (afterCr) continue;
        this.end(content, line);
        state = 0;
        content = false;
        line++;
      } else if (b === 0x22 && state !== 1) {
        if (state === 3) content = true;
        state = 2;
      } else if (b === 0x20 && state === 3) {
        // Papa Parse drops spaces after a closing quote.
      } else {
        state = b === 0x2c ? 0 : 1;
        content = true;
      }
    }
    Object.assign(this, { state, content, cr, line });
  }

  /** A record that started at `start` ended on `line`: the first is the header, blank ones are no rows. */
  private end(content = this.content, line = this.line) {
    if (content && ++this.records > 1) {
      const row = this.records - 1;
      if (this.start - row !== this.offset) this.steps.push(row, (this.offset = this.start - row));
    }
    this.start = line + 1;
  }
}
