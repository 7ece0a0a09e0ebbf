import { createReadStream } from 'node:fs';
import Papa from 'papaparse';
import { ConnectorError } from './connector.js';
import { bounded } from './limits.js';

export interface CsvReadOptions {
  preview?: number;
  /** The longest wait for the next chunk of the file (read_timeout_ms; 0 = no limit). */
  readTimeoutMs?: number;
  /** Aborted by a cancel or at the end of the shutdown grace: the file is closed and the read rejects. */
  signal?: AbortSignal;
}

export interface CsvParseOptions extends CsvReadOptions {
  /** What the input is, for messages. */
  what: string;
  /** Unset: guessed from the first rows. */
  delimiter?: string;
  skipEmptyLines?: boolean;
}

/** Rows as Papa Parse hands them out; a chunk with a syntax error is the last, `error.row` indexing its rows. */
export interface CsvChunk {
  rows: string[][];
  error?: { row: number; message: string };
}

/**
 * Streams a CSV file as chunks of rows (arrays of strings), the header row first, with backpressure: the
 * parser and the file pause while two chunks wait. Papa Parse rather than csv-parse: measured here on 1M rows it parses
 * in 0.75 s where csv-parse takes 4.3 s, and the CSV source is on the hot path of every file replication.
 */
export async function* csvChunks(file: string, options: CsvReadOptions = {}): AsyncGenerator<string[][]> {
  let line = 0;
  // 64 KB reads: Papa Parse's chunks of ~600 rows die young. With 1 MB ones a replication's peak RSS was ~100 MB
  // higher (measured on 1M rows: 305 MB against 208 MB) and no faster.
  const input = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 });
  for await (const { rows, error } of csvRecords(input, { ...options, what: file, skipEmptyLines: true })) {
    if (error) throw new ConnectorError(`Line ${line + error.row + 1} of ${file}: ${error.message}`);
    line += rows.length;
    yield rows;
  }
}

/**
 * The longest row read, in characters. Papa Parse parses a row that has not ended yet again with each chunk
 * that comes, so one that runs on (an unterminated quote near the top of a large file) would cost time that
 * grows with the square of the rest of the file: measured, a pending row of 5 MB took 0.23 s, of 10 MB
 * 0.69 s, of 20 MB 1.86 s.
 */
const MAX_ROW_CHARS = 16 * 2 ** 20;

/** Parses a stream of text (which it destroys when done) chunk by chunk, stopping at the first syntax error. */
export async function* csvRecords(input: NodeJS.ReadableStream & { destroy(): void }, options: CsvParseOptions): AsyncGenerator<CsvChunk> {
  const queue: CsvChunk[] = [];
  let parser: Papa.Parser | undefined;
  let finished = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  input.on('error', (error: Error) => {
    failure = error;
    wake?.();
  });
  // Characters handed to the parser: past its cursor (where its last whole row ended) is the row still open.
  let read = 0;
  input.on('data', (data: string | Buffer) => (read += data.length));
  Papa.parse<string[]>(input as unknown as Papa.LocalFile, {
    skipEmptyLines: options.skipEmptyLines ?? true,
    preview: options.preview ?? 0,
    ...(options.delimiter ? { delimiter: options.delimiter } : {}),
    chunk(results, p) {
      parser = p;
      const bad = results.errors.find((e) => e.type !== 'Delimiter');
      const long = read - results.meta.cursor > MAX_ROW_CHARS;
      if (long) queue.push({ rows: results.data, error: { row: results.data.length, message: `a row runs on past ${MAX_ROW_CHARS / 2 ** 20} MB, the most Sluice reads; is a quote left open?` } });
      else queue.push(bad ? { rows: results.data, error: { row: bad.row ?? 0, message: bad.message } } : { rows: results.data });
      if (long || bad) p.abort();
      else if (queue.length >= 2) {
        // Papa Parse's pause stops only its parser: the stream goes on filling its queue unless paused too.
        p.pause();
        input.pause();
      }
      wake?.();
    },
    complete() {
      finished = true;
      wake?.();
    },
    error(error: Error) {
      failure = error;
      wake?.();
    },
  });
  try {
    for (;;) {
      if (failure) throw failure;
      const chunk = queue.shift();
      if (chunk) {
        if (queue.length < 2 && (parser as unknown as { paused(): boolean } | undefined)?.paused()) {
          parser!.resume();
          input.resume();
        }
        yield chunk;
        if (chunk.error) return;
        continue;
      }
      if (finished) return;
      const ms = options.readTimeoutMs ?? 0;
      await bounded(new Promise<void>((resolve) => (wake = resolve)), { ms, what: `${options.what} sent no data for ${ms} ms (read_timeout_ms)` }, options.signal);
      wake = undefined;
    }
  } finally {
    if (!finished) parser?.abort();
    input.destroy();
  }
}
