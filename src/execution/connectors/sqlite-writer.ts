import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { type Row, valueForSql } from './connector.js';
import { Interrupted } from './limits.js';

/** How a value travels in an InsertBatch (sqlite-writer.worker.mjs reads the same numbers). */
const KIND = { null: 0, number: 1, text: 2, other: 3 } as const;

/**
 * One batch for the writer thread: `INSERT INTO t (a, b) VALUES ` + `(?, ?)` repeated + `ON CONFLICT ...`, and
 * the rows' values in order. Structured clone of 10,000 rows of strings costs more than writing them to SQLite,
 * so strings travel as one text and their lengths, numbers in a Float64Array; blobs and bigints as they are.
 */
export interface InsertBatch {
  into: string;
  tuple: string;
  upsert: string;
  width: number;
  count: number;
  kinds: Uint8Array<ArrayBuffer>;
  /** A number, or a string's length in `text`. */
  numbers: Float64Array<ArrayBuffer>;
  text: string;
  others: unknown[];
}

/** Below V8's longest string (2^29 - 24 characters); longer texts of a batch travel as others. */
const MAX_TEXT = 1 << 28;

export function insertBatch(sql: Pick<InsertBatch, 'into' | 'tuple' | 'upsert'>, names: string[], rows: Row[]): InsertBatch {
  const kinds = new Uint8Array(rows.length * names.length);
  const numbers = new Float64Array(kinds.length);
  const others: unknown[] = [];
  let text = '';
  let k = 0;
  for (const row of rows) {
    for (const name of names) {
      const value = valueForSql(row[name]);
      if (value === null) kinds[k] = KIND.null;
      else if (typeof value === 'number') {
        kinds[k] = KIND.number;
        numbers[k] = value;
      } else if (typeof value === 'string' && text.length + value.length <= MAX_TEXT) {
        kinds[k] = KIND.text;
        numbers[k] = value.length;
        text += value;
      } else {
        kinds[k] = KIND.other;
        others.push(value);
      }
      k++;
    }
  }
  return { ...sql, width: names.length, count: rows.length, kinds, numbers, text, others };
}

/** Who has the batch in flight: the writer thread sets COMMITTING, an interrupt INTERRUPTED, whichever comes first. */
const GATE = { open: 0, committing: 1, interrupted: 2 } as const;

type Reply = null | { interrupted: true } | { message: string; code?: string };

/**
 * A SQLite destination's writes on a thread of their own (sqlite-writer.worker.mjs), over a connection of its
 * own to the same file: `write` settles once the batch is committed, or with SQLite's error.
 */
export class SqliteWriter {
  private readonly worker: Worker;
  private readonly gate = new Int32Array(new SharedArrayBuffer(4));
  private readonly pending: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private failure: Error | undefined;
  private interrupted: unknown;

  /** `scratch`: a file only this run reads back, written with no journal and no syncs. */
  constructor(path: string, { scratch = false } = {}) {
    // A small young generation: the thread's garbage is short-lived, and the process's semi-space flag would
    // otherwise give it 32 MB more of them.
    const resourceLimits = { maxYoungGenerationSizeMb: 8 };
    this.worker = new Worker(new URL('./sqlite-writer.worker.mjs', import.meta.url), { workerData: { path, scratch, gate: this.gate.buffer }, resourceLimits });
    this.worker.on('message', (reply: Reply) => {
      const waiting = this.pending.shift();
      if (reply === null) {
        Atomics.compareExchange(this.gate, 0, GATE.committing, GATE.open);
        waiting?.resolve();
      } else if ('interrupted' in reply) waiting?.reject(new Interrupted(this.interrupted));
      else waiting?.reject(Object.assign(new Error(reply.message), { code: reply.code }));
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', () => this.fail(new Error('The SQLite writer thread ended')));
  }

  write(batch: InsertBatch): Promise<void> {
    if (this.interrupted !== undefined) return Promise.reject(new Interrupted(this.interrupted));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.worker.postMessage(batch, [batch.kinds.buffer, batch.numbers.buffer]);
    });
  }

  /**
   * The batch in flight is rolled back at its next statement, unless its COMMIT has begun: then it stays
   * committed and its `write` resolves, so that what a stopped run reports written is what the table holds.
   */
  interrupt(reason: unknown): void {
    this.interrupted = reason;
    Atomics.compareExchange(this.gate, 0, GATE.open, GATE.interrupted);
  }

  /** Closes the thread's connection once the writes sent before are done. */
  async close(): Promise<void> {
    if (this.failure) return;
    const exited = once(this.worker, 'exit');
    this.worker.postMessage(null);
    await exited;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.splice(0)) waiting.reject(this.failure);
  }
}
