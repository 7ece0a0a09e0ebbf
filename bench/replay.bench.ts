import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECTIONS } from '../projections/index.js';
import { rebuildAndSwap } from '../projections/rebuild.js';
import { verifyReadModels } from '../projections/verification.js';
import type { DomainEvent, NewEvent } from '../src/core/events.js';
import { EventSchemas } from '../src/core/upcasters.js';
import { UpcastingEventStore } from '../src/core/upcasting-event-store.js';
import { toNewEvent } from '../src/core/write-path.js';
import { UPCASTERS } from '../src/event-schemas.js';
import { openDatabase } from '../src/infrastructure/sqlite/open-database.js';
import { SqliteEventStore } from '../src/infrastructure/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../src/infrastructure/sqlite/sqlite-read-store.js';
import { DEFAULT_SCHEDULE, DEFAULT_SETTINGS } from '../src/jobs/job.model.js';
import type { IndexSpec } from '../src/core/read-store.js';
import type { Row } from './events.bench.js';

/** SLUICE_BENCH_REPLAY_EVENTS: a smaller log for a quick try (default 1,000,000). */
const TOTAL = Number(process.env.SLUICE_BENCH_REPLAY_EVENTS ?? 1_000_000);
const JOBS = 100;
/** Per run: 15 events of the job and the run (requested, queued, started, 2 steps of 5, finished, ended) and 85 log lines. */
const PER_RUN = 100;
const LOG_LINES = 85;
/** Runs in flight at once: their events interleave in the log as a busy instance's do. */
const CONCURRENT = 10;
const TASKS = ['t0', 't1'];

let clock = Date.UTC(2026, 0, 1);
let seq = 0;
const stamp = (e: DomainEvent): NewEvent =>
  toNewEvent(e, { actor: 'worker:bench', correlationId: 'bench', commandId: `bench-${seq++}`, clock: () => new Date((clock += 7)) }, '0');

function jobEvents(jobId: string): DomainEvent[] {
  return [
    { type: 'JobCreated', data: { jobId, workspaceId: 'bench', name: `Job ${jobId}`, type: 'Standard', sourceConnectionId: 'src', destinationConnectionId: 'dst', schedule: DEFAULT_SCHEDULE, settings: DEFAULT_SETTINGS } },
    ...TASKS.map((taskId, index) => ({ type: 'TaskAdded', data: { jobId, taskId, query: `REPLICATE [${taskId}]`, isActive: true, index } })),
    { type: 'JobUpdated', data: { jobId, changes: { settings: { batch_size: 5000 } } } },
  ];
}

/** One run's own stream: queued, started, two steps with progress, 85 log lines spread through it, finished. */
function runEvents(runId: string, jobId: string): DomainEvent[] {
  const plan = { runId, jobId, workspaceId: 'bench', jobName: `Job ${jobId}`, trigger: 'schedule', requestedBy: 'scheduler', sourceConnectionId: 'src', destinationConnectionId: 'dst', settings: DEFAULT_SETTINGS, tasks: TASKS.map((taskId) => ({ taskId, query: `REPLICATE [${taskId}]`, incrementalColumn: null, watermark: null })) };
  const work: DomainEvent[] = [];
  for (const taskId of TASKS) {
    work.push({ type: 'StepStarted', data: { runId, taskId, source: taskId, destination: taskId } });
    for (let p = 1; p <= 3; p++) work.push({ type: 'StepProgress', data: { runId, taskId, rowsProcessed: p * 10_000, sinceLastCheck: 10_000, latencyMs: { min: 2, max: 40, avg: 9 }, lastId: p * 10_000 } });
    work.push({ type: 'StepCompleted', data: { runId, taskId, rowsRead: 30_000, rowsWritten: 30_000, watermark: null, durationMs: 3000 } });
  }
  const lines: DomainEvent[] = Array.from({ length: LOG_LINES }, (_, i) => ({
    type: 'RunLogged',
    data: { runId, jobId, level: i % 20 === 0 ? 'warn' : 'info', message: `Batch ${i}: wrote 1000 rows into [${TASKS[i % 2]}] in ${i + 3} ms`, taskId: TASKS[i % 2] },
  }));
  // Log lines interleave with the step events, as a worker writes them.
  const middle: DomainEvent[] = [];
  for (let i = 0; i < Math.max(work.length, lines.length); i++) {
    if (i < lines.length) middle.push(lines[i]);
    if (i % 8 === 7 && work.length) middle.push(work.shift()!);
  }
  middle.push(...work);
  return [{ type: 'RunQueued', data: plan }, { type: 'RunStarted', data: { runId, owner: { instanceId: 'bench', hostname: 'bench', pid: 1 } } }, ...middle, { type: 'RunFinished', data: { runId, status: 'succeeded', durationMs: 6000 } }];
}

/**
 * Writes the log: 100 jobs, then runs of them, ten at a time, their events interleaved in chunks. Straight
 * into the event store's table, in large transactions without fsync: seeding is not what is measured.
 */
export async function seed(file: string): Promise<number> {
  await new SqliteEventStore(file).close();
  const db = openDatabase(file);
  db.pragma('synchronous = OFF');
  const schemas = new EventSchemas(UPCASTERS);
  const insert = db.prepare('INSERT INTO events (id, stream, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');
  const revisions = new Map<string, number>();
  let pending: Array<[string, NewEvent]> = [];
  const flush = db.transaction(() => {
    for (const [stream, e] of pending) {
      const revision = (revisions.get(stream) ?? -1) + 1;
      revisions.set(stream, revision);
      insert.run(e.id, stream, revision, e.type, JSON.stringify(e.data), JSON.stringify({ ...e.metadata, schemaVersion: schemas.versionOf(e.type) }));
    }
    pending = [];
  });
  const append = (stream: string, events: DomainEvent[]) => {
    for (const e of events) pending.push([stream, stamp(e)]);
    if (pending.length >= 10_000) flush();
  };
  for (let j = 0; j < JOBS; j++) append(`job-job${j}`, jobEvents(`job${j}`));
  const runs = Math.max(1, Math.round((TOTAL - JOBS * (2 + TASKS.length)) / PER_RUN));
  for (let first = 0; first < runs; first += CONCURRENT) {
    const group = Array.from({ length: Math.min(CONCURRENT, runs - first) }, (_, i) => ({ runId: `run${first + i}`, jobId: `job${(first + i) % JOBS}` }));
    for (const { runId, jobId } of group) append(`job-${jobId}`, [{ type: 'RunRequested', data: { jobId, runId, trigger: 'schedule', taskIds: TASKS } }]);
    const inFlight = group.map(({ runId, jobId }) => ({ runId, events: runEvents(runId, jobId) }));
    while (inFlight.some((p) => p.events.length)) {
      for (const p of inFlight) if (p.events.length) append(`run-${p.runId}`, p.events.splice(0, 10));
    }
    for (const { runId, jobId } of group) append(`job-${jobId}`, [{ type: 'RunEnded', data: { jobId, runId, status: 'succeeded', watermarks: {} } }]);
  }
  flush();
  const count = (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  db.close();
  return count;
}

const rate = (count: number, started: bigint) => Math.round(count / (Number(process.hrtime.bigint() - started) / 1e9));

/** The replay Sluice does (`npm run replay`, POST /v1/admin/replay): every read model rebuilt in one pass and swapped in. */
async function replay(dir: string, count: number): Promise<{ replay: number; verify: number }> {
  const events = new UpcastingEventStore(new SqliteEventStore(join(dir, 'events.db')), new EventSchemas(UPCASTERS));
  const reads = new SqliteReadStore(join(dir, 'read-models.db'));
  let started = process.hrtime.bigint();
  await rebuildAndSwap(events, reads, PROJECTIONS);
  const replayed = rate(count, started);
  started = process.hrtime.bigint();
  const differences = await verifyReadModels(events, reads, PROJECTIONS);
  const verified = rate(count, started);
  if (differences.length) throw new Error(`verify after the replay found ${differences.length} differences`);
  await events.close();
  await reads.close();
  return { replay: replayed, verify: verified };
}

type Json = Record<string, any>;

/**
 * The same fold by hand on better-sqlite3 (the ceiling): page through the log, parse each event once, fold
 * jobs and runs in memory per page (read once, written once), insert log lines, one transaction per page;
 * then the read models' indexes.
 */
function replayByHand(dir: string): number {
  const log = openDatabase(join(dir, 'events.db'));
  const out = openDatabase(join(dir, 'by-hand.db'));
  out.exec(`CREATE TABLE jobs (id TEXT PRIMARY KEY, doc TEXT NOT NULL); CREATE TABLE runs (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
    CREATE TABLE logs (id TEXT PRIMARY KEY, doc TEXT NOT NULL); CREATE TABLE checkpoints (projection TEXT PRIMARY KEY, position TEXT)`);
  const page = log.prepare('SELECT position, id, stream, revision, type, data, metadata FROM events WHERE position > ? ORDER BY position LIMIT 2000');
  const get = { jobs: out.prepare('SELECT doc FROM jobs WHERE id = ?'), runs: out.prepare('SELECT doc FROM runs WHERE id = ?') };
  const put = {
    jobs: out.prepare('INSERT INTO jobs (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc'),
    runs: out.prepare('INSERT INTO runs (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc'),
    logs: out.prepare('INSERT INTO logs (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc'),
  };
  const checkpoint = out.prepare('INSERT INTO checkpoints VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET position = excluded.position');
  const started = process.hrtime.bigint();
  let position = 0;
  let count = 0;
  for (;;) {
    const rows = page.all(position) as Array<{ position: number; id: string; stream: string; revision: number; type: string; data: string; metadata: string }>;
    if (rows.length === 0) break;
    const docs = { jobs: new Map<string, Json>(), runs: new Map<string, Json>() };
    const load = (kind: 'jobs' | 'runs', id: string): Json | undefined => {
      if (!docs[kind].has(id)) {
        const row = get[kind].get(id) as { doc: string } | undefined;
        if (row) docs[kind].set(id, JSON.parse(row.doc));
      }
      return docs[kind].get(id);
    };
    const lines: Array<[string, string]> = [];
    for (const row of rows) {
      const d = JSON.parse(row.data);
      const at = JSON.parse(row.metadata).occurredAt;
      const job = row.stream.startsWith('job-') ? (row.type === 'JobCreated' ? undefined : load('jobs', d.jobId)) : undefined;
      const run = row.stream.startsWith('run-') && row.type !== 'RunQueued' && row.type !== 'RunLogged' ? load('runs', d.runId) : undefined;
      switch (row.type) {
        case 'JobCreated':
          docs.jobs.set(d.jobId, { ...d, id: d.jobId, tasks: [], createdAt: at, updatedAt: at, version: row.revision, activeRunId: null, lastRun: null });
          break;
        case 'TaskAdded':
          job!.tasks.splice(d.index, 0, { id: d.taskId, query: d.query, isActive: d.isActive });
          Object.assign(job!, { updatedAt: at, version: row.revision });
          break;
        case 'JobUpdated':
          Object.assign(job!, { settings: { ...job!.settings, ...d.changes.settings }, updatedAt: at, version: row.revision });
          break;
        case 'RunRequested':
          Object.assign(job!, { activeRunId: d.runId, activeRunSince: at, version: row.revision });
          break;
        case 'RunEnded':
          Object.assign(job!, { activeRunId: null, activeRunSince: null, lastRun: { id: d.runId, status: d.status, endedAt: at }, version: row.revision });
          break;
        case 'RunQueued':
          docs.runs.set(d.runId, { id: d.runId, jobId: d.jobId, status: 'queued', queuedAt: at, rowsRead: 0, rowsWritten: 0, version: row.revision, steps: d.tasks.map((t: Json) => ({ taskId: t.taskId, query: t.query, status: 'pending', rowsRead: 0, rowsWritten: 0 })) });
          break;
        case 'RunStarted':
          Object.assign(run!, { status: 'running', startedAt: at, owner: d.owner, version: row.revision });
          break;
        case 'StepStarted':
        case 'StepProgress':
        case 'StepCompleted': {
          const step = run!.steps.find((s: Json) => s.taskId === d.taskId);
          if (row.type === 'StepStarted') Object.assign(step, { status: 'running', source: d.source, destination: d.destination, startedAt: at });
          if (row.type === 'StepProgress') Object.assign(step, { rowsWritten: d.rowsProcessed, metrics: { ...d, at } });
          if (row.type === 'StepCompleted') Object.assign(step, { status: 'succeeded', rowsRead: d.rowsRead, rowsWritten: d.rowsWritten, finishedAt: at, durationMs: d.durationMs });
          Object.assign(run!, { version: row.revision, rowsRead: run!.steps.reduce((n: number, s: Json) => n + s.rowsRead, 0), rowsWritten: run!.steps.reduce((n: number, s: Json) => n + s.rowsWritten, 0) });
          break;
        }
        case 'RunFinished':
          Object.assign(run!, { status: d.status, finishedAt: at, durationMs: d.durationMs, version: row.revision });
          break;
        case 'RunLogged':
          lines.push([row.id, JSON.stringify({ id: row.id, runId: d.runId, jobId: d.jobId, taskId: d.taskId ?? null, at, level: d.level, message: d.message, position: String(row.position).padStart(20, '0') })]);
          break;
      }
    }
    position = rows[rows.length - 1].position;
    count += rows.length;
    out.transaction(() => {
      for (const kind of ['jobs', 'runs'] as const) for (const [id, doc] of docs[kind]) put[kind].run(id, JSON.stringify(doc));
      for (const [id, doc] of lines) put.logs.run(id, doc);
      checkpoint.run('all', String(position));
    })();
  }
  // The read models' own indexes, built once at the end (the cheapest way to have them).
  for (const p of PROJECTIONS) {
    for (const [collection, indexes] of Object.entries(p.collections)) {
      if (!(collection in put)) continue;
      // A text index (SQLite FTS5) is left out here as it is not a json_extract index.
      for (const [i, index] of indexes.filter((ix: IndexSpec & { text?: boolean }) => !ix.text).entries()) out.exec(`CREATE INDEX ix_${collection}_${i} ON ${collection} (${index.fields.map((f) => `json_extract(doc, '$.${f}')`).join(', ')})`);
    }
  }
  const result = rate(count, started);
  log.close();
  out.close();
  return result;
}

export async function replayBenchmark(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-replay-'));
  try {
    const count = await seed(join(dir, 'events.db'));
    const ceiling = replayByHand(dir);
    const { replay: replayed, verify } = await replay(dir, count);
    const size = `${Math.round(count / 1000)}k`;
    return [
      { benchmark: `replay of every read model (${size} events: jobs, runs, logs)`, sluice: replayed, ceiling, unit: 'events/s' },
      { benchmark: `verify after the replay (${size} events, rebuild + compare)`, sluice: verify, ceiling, unit: 'events/s' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
