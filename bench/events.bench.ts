import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { PROJECTIONS } from '../projections/index.js';
import { jobsProjection } from '../projections/jobs.projection.js';
import type { Projection } from '../projections/projection.js';
import { ProjectionRunner } from '../projections/runner.js';
import type { EventStore } from '../src/core/event-store.js';
import type { DomainEvent } from '../src/core/events.js';
import { EventSchemas } from '../src/core/upcasters.js';
import { UpcastingEventStore } from '../src/core/upcasting-event-store.js';
import { UPCASTERS } from '../src/event-schemas.js';
import { decideAndAppend, systemClock, toNewEvent } from '../src/core/write-path.js';
import { openDatabase } from '../src/infrastructure/sqlite/open-database.js';
import { SqliteEventStore } from '../src/infrastructure/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../src/infrastructure/sqlite/sqlite-read-store.js';
import { jobDecider } from '../src/jobs/job.decider.js';
import { DEFAULT_SCHEDULE, DEFAULT_SETTINGS } from '../src/jobs/job.model.js';

export interface Row {
  benchmark: string;
  sluice: number;
  ceiling: number;
  unit: string;
  /** Where the benchmark ran Sluice in a process of its own: that process's peak RSS. */
  peakRssMb?: number;
}

const STREAMS = 1000;
const PER_STREAM = 100;
const TOTAL = STREAMS * PER_STREAM;
/** Benchmarks measure the store every reader uses: the upcasting wrapper around the adapter. */
const upcasting = (store: EventStore) => new UpcastingEventStore(store, new EventSchemas(UPCASTERS));
const ctx = () => ({ actor: 'bench', correlationId: 'bench', commandId: randomUUID(), clock: systemClock });

function created(jobId: string): DomainEvent {
  return {
    type: 'JobCreated',
    data: { jobId, workspaceId: 'bench', name: jobId, type: 'Standard', enabled: true, sourceConnectionId: null, destinationConnectionId: null, schedule: DEFAULT_SCHEDULE, settings: DEFAULT_SETTINGS },
  };
}
const updated = (jobId: string, n: number): DomainEvent => ({ type: 'JobUpdated', data: { jobId, changes: { settings: { batch_size: n } } } });

function rate(count: number, started: bigint): number {
  return Math.round(count / (Number(process.hrtime.bigint() - started) / 1e9));
}

/** 100k single-event appends (1,000 job streams × 100), each at its expected revision, as the write path does them. */
async function appendsThroughWritePath(dir: string): Promise<number> {
  const store = upcasting(new SqliteEventStore(join(dir, 'events.db')));
  const ids = Array.from({ length: STREAMS }, (_, i) => `job${i}`);
  const started = process.hrtime.bigint();
  for (const id of ids) await store.append(`job-${id}`, [toNewEvent(created(id), ctx(), '0')], 'no_stream');
  for (let n = 1; n < PER_STREAM; n++) {
    for (const id of ids) {
      await store.append(`job-${id}`, [toNewEvent(updated(id, n), ctx(), '0')], n - 1);
    }
  }
  const result = rate(TOTAL, started);
  await store.close();
  return result;
}

/** The event table on better-sqlite3 directly, and an append (revision check and insert) as a transaction function. */
function rawEventLog(file: string) {
  const db = openDatabase(file);
  db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, stream TEXT NOT NULL,
    revision INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (stream, revision))`);
  const head = db.prepare('SELECT max(revision) AS r FROM events WHERE stream = ?');
  const insert = db.prepare('INSERT INTO events (id, stream, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');
  const append = db.transaction((stream: string, expected: number | null, e: ReturnType<typeof toNewEvent>) => {
    const r = (head.get(stream) as { r: number | null }).r;
    if (r !== expected) throw new Error('conflict');
    insert.run(e.id, stream, (r ?? -1) + 1, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata));
  });
  return { db, append };
}

/** The same appends written straight to better-sqlite3: revision check and insert in one transaction. */
function appendsRaw(dir: string): number {
  const { db, append } = rawEventLog(join(dir, 'raw-events.db'));
  const started = process.hrtime.bigint();
  for (let n = 0; n < PER_STREAM; n++) {
    for (let i = 0; i < STREAMS; i++) {
      const id = `job${i}`;
      append.immediate(`job-${id}`, n === 0 ? null : n - 1, toNewEvent(n === 0 ? created(id) : updated(id, n), ctx(), '0'));
    }
  }
  const result = rate(TOTAL, started);
  db.close();
  return result;
}

const WRITERS = 16;
const PER_WRITER = 2000;

/** 16 writers at once, each appending one event at a time to streams of its own at their expected revision. */
async function concurrentAppends(dir: string): Promise<number> {
  const store = upcasting(new SqliteEventStore(join(dir, 'concurrent.db')));
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let n = 0; n < PER_WRITER; n++) {
        const id = `w${w}-${n % 10}`;
        const revision = Math.floor(n / 10);
        await store.append(`job-${id}`, [toNewEvent(revision === 0 ? created(id) : updated(id, revision), ctx(), '0')], revision === 0 ? 'no_stream' : revision - 1);
      }
    }),
  );
  const result = rate(WRITERS * PER_WRITER, started);
  await store.close();
  return result;
}

/** The ceiling: the same appends on better-sqlite3, the 16 writers' appends of a round in one transaction, each in a savepoint. */
function concurrentAppendsRaw(dir: string): number {
  const { db, append } = rawEventLog(join(dir, 'raw-concurrent.db'));
  const round = db.transaction((n: number) => {
    for (let w = 0; w < WRITERS; w++) {
      const id = `w${w}-${n % 10}`;
      const revision = Math.floor(n / 10);
      append(`job-${id}`, revision === 0 ? null : revision - 1, toNewEvent(revision === 0 ? created(id) : updated(id, revision), ctx(), '0'));
    }
  });
  const started = process.hrtime.bigint();
  for (let n = 0; n < PER_WRITER; n++) round.immediate(n);
  const result = rate(WRITERS * PER_WRITER, started);
  db.close();
  return result;
}

/** Commands through decideAndAppend (read the stream, fold, decide, append) on the 1,000 jobs of 100 events each. */
async function commandsThroughDecider(dir: string): Promise<number> {
  const store = upcasting(new SqliteEventStore(join(dir, 'events.db')));
  const count = 2000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    await decideAndAppend(store, `job-job${i % STREAMS}`, jobDecider, { type: 'UpdateJob', data: { changes: { settings: { batch_size: 1000 + i } } } }, ctx());
  }
  const result = rate(count, started);
  await store.close();
  return result;
}

/** Catch-up of read models over the 100k events from position 0, into a fresh read store. */
async function catchUp(dir: string, projections: Projection[], name: string): Promise<number> {
  const events = upcasting(new SqliteEventStore(join(dir, 'events.db')));
  const reads = new SqliteReadStore(join(dir, `${name}.db`));
  const runner = new ProjectionRunner(events, reads, projections);
  const head = await events.lastPosition();
  const started = process.hrtime.bigint();
  await runner.start();
  await runner.waitFor(head, 600_000);
  const result = rate(Number(head), started);
  await runner.stop();
  await events.close();
  await reads.close();
  return result;
}

/** The same catch-up by hand: page through the events, fold the job documents, upsert them with the checkpoint. */
function catchUpRaw(dir: string, name: string): number {
  const db = openDatabase(join(dir, 'events.db'));
  const out = openDatabase(join(dir, `${name}.db`));
  out.exec('CREATE TABLE jobs (id TEXT PRIMARY KEY, doc TEXT NOT NULL); CREATE TABLE checkpoints (projection TEXT PRIMARY KEY, position TEXT)');
  const page = db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT 1000');
  const get = out.prepare('SELECT doc FROM jobs WHERE id = ?');
  const put = out.prepare('INSERT INTO jobs (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc');
  const checkpoint = out.prepare('INSERT INTO checkpoints VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET position = excluded.position');
  const started = process.hrtime.bigint();
  let position = 0;
  let count = 0;
  for (;;) {
    const rows = page.all(position) as Array<{ position: number; type: string; data: string; metadata: string }>;
    if (rows.length === 0) break;
    const docs = new Map<string, Record<string, any>>();
    for (const row of rows) {
      const data = JSON.parse(row.data);
      const meta = JSON.parse(row.metadata);
      if (row.type === 'JobCreated') {
        docs.set(data.jobId, { id: data.jobId, ...data, tasks: [], createdAt: meta.occurredAt, updatedAt: meta.occurredAt });
      } else {
        const doc = docs.get(data.jobId) ?? JSON.parse((get.get(data.jobId) as { doc: string }).doc);
        docs.set(data.jobId, { ...doc, settings: { ...doc.settings, ...data.changes.settings }, updatedAt: meta.occurredAt });
      }
    }
    position = rows[rows.length - 1].position;
    count += rows.length;
    out.transaction(() => {
      for (const [id, doc] of docs) put.run(id, JSON.stringify(doc));
      checkpoint.run('jobs', String(position));
    })();
  }
  const result = rate(count, started);
  db.close();
  out.close();
  return result;
}

export async function eventBenchmarks(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  try {
    const appends = await appendsThroughWritePath(dir);
    const appendsCeiling = appendsRaw(dir);
    const concurrent = await concurrentAppends(dir);
    const concurrentCeiling = concurrentAppendsRaw(dir);
    // The ceiling before and after: a machine whose speed drifts during the bench weighs on both sides alike.
    const ceilingBefore = catchUpRaw(dir, 'raw-read-before');
    const catchUpJobs = await catchUp(dir, [jobsProjection], 'jobs-only');
    const catchUpAll = await catchUp(dir, PROJECTIONS, 'all');
    const catchUpCeiling = Math.round((ceilingBefore + catchUpRaw(dir, 'raw-read-after')) / 2);
    const commands = await commandsThroughDecider(dir);
    return [
      { benchmark: 'appends (100k, one event each, expected revision)', sluice: appends, ceiling: appendsCeiling, unit: 'events/s' },
      { benchmark: `appends, ${WRITERS} concurrent writers (ceiling: group commit)`, sluice: concurrent, ceiling: concurrentCeiling, unit: 'events/s' },
      { benchmark: 'catch-up of the jobs read model (100k events)', sluice: catchUpJobs, ceiling: catchUpCeiling, unit: 'events/s' },
      { benchmark: `catch-up of all ${PROJECTIONS.length} read models (ceiling: one)`, sluice: catchUpAll, ceiling: catchUpCeiling, unit: 'events/s' },
      { benchmark: 'commands via decideAndAppend (streams of 100 events)', sluice: commands, ceiling: appendsCeiling, unit: 'commands/s' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
