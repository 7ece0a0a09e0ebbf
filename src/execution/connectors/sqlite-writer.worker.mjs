// @ts-check
// A thread of its own for a SQLite destination's batches, so that the source is read and parsed while a batch
// is written (two cores, two halves of the work). Plain JavaScript: a worker thread cannot load TypeScript.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** @typedef {import('./sqlite-writer.js').InsertBatch} InsertBatch */
const [NUMBER, TEXT, OTHER] = [1, 2, 3]; // as sqlite-writer.ts's KIND; 0 is NULL
const [OPEN, COMMITTING, INTERRUPTED] = [0, 1, 2]; // as sqlite-writer.ts's GATE

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const gate = new Int32Array(workerData.gate);
const db = new Database(workerData.path);
if (workerData.scratch) {
  // An import's stage: if the process dies, the import is not applied and the file is not read again.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
} else {
  // As SqliteConnector's own connection: WAL, NORMAL (a committed batch survives a crash of the process).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
}
db.pragma('cache_size = -16384');

/** @type {Map<string, import('better-sqlite3').Statement>} */
const statements = new Map();
/** @param {InsertBatch} batch @param {number} rows */
const statement = ({ into, tuple, upsert }, rows) => {
  const sql = `${into}${Array(rows).fill(tuple).join(', ')}${upsert}`;
  let prepared = statements.get(sql);
  if (!prepared) statements.set(sql, (prepared = db.prepare(sql)));
  return prepared;
};

/**
 * One batch, one transaction; up to 500 rows a statement (SQLite binds at most 32,766 values to one): measured
 * on 1M rows, 100 a statement took ~10% longer.
 */
const write = db.transaction((/** @type {InsertBatch} */ batch) => {
  const { width, count, kinds, numbers, text, others } = batch;
  const perStatement = Math.max(1, Math.min(500, Math.floor(32_000 / width)));
  const full = statement(batch, perStatement);
  const params = new Array(perStatement * width);
  let [k, at, other] = [0, 0, 0];
  for (let first = 0; first < count; first += perStatement) {
    const rows = Math.min(perStatement, count - first);
    params.length = rows * width;
    for (let p = 0; p < params.length; p++, k++) {
      const kind = kinds[k];
      if (kind === TEXT) params[p] = text.slice(at, (at += numbers[k]));
      else params[p] = kind === NUMBER ? numbers[k] : kind === OTHER ? others[other++] : null;
    }
    if (Atomics.load(gate, 0) === INTERRUPTED) throw new Interrupted();
    // Spread, not an array: better-sqlite3 fetches an array's values one V8 call each. Binding 6M values took
    // 0.9 s as an array and 0.6 s as arguments, and the million-row replication ran ~7% faster.
    (rows === perStatement ? full : statement(batch, rows)).run(...params);
  }
  // The gate decides, once, between this COMMIT and an interrupt from the other thread.
  if (Atomics.compareExchange(gate, 0, OPEN, COMMITTING) !== OPEN) throw new Interrupted();
});

class Interrupted extends Error {}

port.on('message', (/** @type {InsertBatch | null} */ batch) => {
  if (batch === null) {
    db.close();
    port.close();
    return;
  }
  try {
    write(batch);
    port.postMessage(null);
  } catch (error) {
    const { message, code } = /** @type {Error & { code?: string }} */ (error);
    port.postMessage(error instanceof Interrupted ? { interrupted: true } : { message, code });
  }
});
