import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { logsProjection } from '../projections/logs.projection.js';
import { openDatabase } from '../src/infrastructure/sqlite/open-database.js';
import { SqliteReadStore } from '../src/infrastructure/sqlite/sqlite-read-store.js';
import { type LogSearch, SearchLogs, SearchLogsHandler } from '../src/logs/logs.queries.js';
import type { LogLevel } from '../src/runs/run.decider.js';
import { type LogDoc, LOGS, LOG_LEVELS } from '../src/runs/runs.read-model.js';
import type { Row } from './events.bench.js';

/** BENCH_LOG_LINES (default 5,000,000) lines over 1,000 runs of 100 jobs; a smaller number for a quick try. */
const LINES = Number(process.env.BENCH_LOG_LINES || 5_000_000);
const JOBS = 100;
const RUNS = 1000;
const PER_RUN = Math.ceil(LINES / RUNS);
const QUERIES = 300;
const T0 = Date.parse('2026-10-01T00:00:00Z');
/** A run every 43 minutes (1,000 runs over 30 days), each writing for an hour, so runs of different jobs overlap. */
const RUN_EVERY_MS = 43 * 60_000;
const RUN_LASTS_MS = 60 * 60_000;
const DAY = 24 * 3600_000;
const TABLES = Array.from({ length: 500 }, (_, i) => `${['accounts', 'leads', 'orders', 'invoices', 'contacts'][i % 5]}_${i}`);
const FAULTS = ['ECONNRESET', 'deadlock detected', 'disk full', 'permission denied', 'statement timeout'];

/** A small deterministic generator, so every run of the bench builds and asks the same things. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mostly info, some debug and warn, a few errors; messages shaped like a run's own lines. */
function line(run: number, n: number, at: number, rnd: () => number): LogDoc {
  const table = TABLES[Math.floor(rnd() * TABLES.length)];
  const task = 1 + (n % 4);
  const rows = Math.floor(rnd() * 100_000);
  const roll = rnd();
  const level: LogLevel = roll < 0.1 ? 'debug' : roll < 0.85 ? 'info' : roll < 0.95 ? 'warn' : 'error';
  const message = {
    debug: `batch ${n} of [${table}]: ${rows} rows, watermark ${rows * 7}`,
    info: `Task ${task}: read ${rows} rows from [${table}], wrote ${rows} rows to [${table}] in [${(rnd() * 9).toFixed(2)}] seconds`,
    warn: `Task ${task} (${table}): slow batch, ${Math.floor(rnd() * 5000)} ms over the 1000 ms budget`,
    error: `Task ${task} (${table}): connection timeout after ${Math.floor(rnd() * 60)} seconds: ${FAULTS[Math.floor(rnd() * FAULTS.length)]}`,
  }[level];
  const position = String(run * PER_RUN + n + 1).padStart(20, '0');
  return {
    id: `l${position}`,
    runId: `run-${run}`,
    jobId: `job-${run % JOBS}`,
    taskId: `task-${run % JOBS}-${task}`,
    at: new Date(at).toISOString(),
    level,
    severity: LOG_LEVELS.indexOf(level),
    message,
    position,
  };
}

/** Every run's lines, in batches of `size`: runs start in order, a run's lines climb through its hour (some in the same millisecond). */
function* batches(size: number): Generator<LogDoc[]> {
  const rnd = random(1);
  let batch: LogDoc[] = [];
  for (let run = 0; run < RUNS; run++) {
    let at = T0 + run * RUN_EVERY_MS;
    for (let n = 0; n < PER_RUN; n++) {
      at += rnd() < 0.2 ? 0 : Math.floor(rnd() * (2 * RUN_LASTS_MS) / PER_RUN);
      batch.push(line(run, n, at, rnd));
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length) yield batch;
}

/** The lines through the ReadStore's own writes (a transaction per 10,000), b-tree indexes made after, as a rebuild would not but a fast bench may. */
async function buildStore(file: string): Promise<SqliteReadStore> {
  const store = new SqliteReadStore(file);
  const indexes = logsProjection.collections[LOGS];
  await store.ensureCollection(LOGS, indexes.filter((ix) => ix.text));
  const bar = new SingleBar({ format: `read store  {bar} {value}/{total} lines | {eta}s left`, etaBuffer: 20 }, Presets.shades_classic);
  bar.start(PER_RUN * RUNS, 0);
  let written = 0;
  for (const docs of batches(10_000)) {
    await store.write(docs.map((doc) => ({ collection: LOGS, op: 'upsert' as const, doc })));
    bar.update((written += docs.length));
  }
  bar.stop();
  await store.ensureCollection(LOGS, indexes);
  return store;
}

/** The ceiling: the same lines as real columns on better-sqlite3, each index on columns, FTS5 on the message. */
function buildCeiling(file: string, from: string) {
  const db = openDatabase(file);
  db.pragma('synchronous = OFF');
  db.exec(`ATTACH '${from}' AS src`);
  db.exec(`CREATE TABLE logs (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, run_id TEXT, job_id TEXT, task_id TEXT, at TEXT, level TEXT, severity INTEGER, message TEXT, position TEXT)`);
  db.exec(`INSERT INTO logs SELECT rid, id, doc ->> '$.runId', doc ->> '$.jobId', doc ->> '$.taskId', doc ->> '$.at', doc ->> '$.level', doc ->> '$.severity', doc ->> '$.message', doc ->> '$.position' FROM src.rm_logs ORDER BY rid`);
  db.exec('DETACH src');
  for (const cols of ['run_id, at, position', 'job_id, at, position', 'severity, at, position', 'at, position']) {
    db.exec(`CREATE INDEX ix_${cols.replace(/\W+/g, '_')} ON logs (${cols})`);
  }
  db.exec(`CREATE VIRTUAL TABLE logs_fts USING fts5(message, content='', contentless_delete=1, tokenize="unicode61 remove_diacritics 0 tokenchars '_'")`);
  db.exec('INSERT INTO logs_fts (rowid, message) SELECT rid, message FROM logs');
  db.exec('ANALYZE');
  const page = (where: string) =>
    db.prepare(`SELECT id, at, level, message, job_id, run_id, task_id FROM logs WHERE ${where} AND at BETWEEN ? AND ? ORDER BY at DESC, position DESC LIMIT 101`);
  const shapes = {
    run: page('run_id = ?'),
    job: page('job_id = ?'),
    error: page('severity = ?'),
    warn: page('severity >= ?'),
    q: page('rid IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ?)'),
  };
  return { db, shapes };
}

type Shape = 'run' | 'job' | 'error' | 'warn' | 'q';

/** The questions of each shape: a random run over its hour, a job over 3 days, a level over a day, two words over 10 days. */
function questions(shape: Shape): Array<{ search: LogSearch; arg: string | number }> {
  const rnd = random(shape.length * 7919);
  const span = RUNS * RUN_EVERY_MS;
  const window = (days: number) => {
    const from = T0 + Math.floor(rnd() * Math.max(1, span - days * DAY));
    return { from: new Date(from).toISOString(), to: new Date(from + days * DAY).toISOString() };
  };
  return Array.from({ length: QUERIES }, () => {
    const base = { order: 'desc' as const, limit: 100 };
    if (shape === 'run') {
      const run = Math.floor(rnd() * RUNS);
      const from = T0 + run * RUN_EVERY_MS;
      const search = { ...base, runId: `run-${run}`, from: new Date(from).toISOString(), to: new Date(from + 2 * RUN_LASTS_MS).toISOString() };
      return { search, arg: search.runId };
    }
    if (shape === 'job') {
      const search = { ...base, jobId: `job-${Math.floor(rnd() * JOBS)}`, ...window(3) };
      return { search, arg: search.jobId };
    }
    if (shape === 'error' || shape === 'warn') return { search: { ...base, level: shape, ...window(1) }, arg: LOG_LEVELS.indexOf(shape) };
    const q = `timeout ${TABLES[Math.floor(rnd() * TABLES.length)]}`;
    return { search: { ...base, q, ...window(10) }, arg: q.split(' ').map((w) => `"${w}"`).join(' AND ') };
  });
}

function percentiles(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { p50: Number(at(0.5).toFixed(2)), p99: Number(at(0.99).toFixed(2)) };
}

async function time(work: () => unknown): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Pages of 100 lines by run, job, level and words over a time range: through the ReadStore beside hand-written SQL. */
export async function logBenchmarks(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-logs-'));
  try {
    const file = join(dir, 'read-models.db');
    const store = await buildStore(file);
    const handler = new SearchLogsHandler(store);
    console.log('ceiling: the same lines as columns…');
    const ceiling = buildCeiling(join(dir, 'ceiling.db'), file);
    const rows: Row[] = [];
    const labels: Record<Shape, string> = {
      run: 'run + 2 h range',
      job: 'job + 3-day range',
      error: 'level=error + 1-day range',
      warn: 'level=warn + 1-day range',
      q: '2 words (q) + 10-day range',
    };
    for (const shape of ['run', 'job', 'error', 'warn', 'q'] as const) {
      const asked = questions(shape);
      const sluice: number[] = [];
      const raw: number[] = [];
      let found = 0;
      for (const { search, arg } of asked) {
        let ids: string[] = [];
        let rawIds: string[] = [];
        sluice.push(await time(async () => (ids = (await handler.execute(new SearchLogs(search))).items.map((l) => l.id))));
        raw.push(await time(() => (rawIds = (ceiling.shapes[shape].all(arg, search.from, search.to) as Array<{ id: string }>).slice(0, 100).map((r) => r.id))));
        // Both answer the same page, or the comparison means nothing.
        if (ids.join() !== rawIds.join()) throw new Error(`${shape}: the read store and the ceiling disagree on ${JSON.stringify(search)}`);
        found += ids.length;
      }
      const [s, c] = [percentiles(sluice), percentiles(raw)];
      const label = `logs: ${labels[shape]} (${Math.round(found / asked.length)} lines/page)`;
      rows.push({ benchmark: `${label} p50`, sluice: s.p50, ceiling: c.p50, unit: 'ms' });
      rows.push({ benchmark: `${label} p99`, sluice: s.p99, ceiling: c.p99, unit: 'ms' });
    }
    ceiling.db.close();
    await store.close();
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
