import { mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DomainEvent } from '../src/core/events.js';
import { toNewEvent } from '../src/core/write-path.js';
import { SqliteEventStore } from '../src/infrastructure/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../src/infrastructure/sqlite/sqlite-read-store.js';
import { DEFAULT_SCHEDULE, DEFAULT_SETTINGS } from '../src/jobs/job.model.js';
import { PROJECTIONS } from './index.js';
import { withTasks } from '../src/jobs/job-tasks.js';
import { type JobRecord, JOBS } from '../src/jobs/jobs.read-model.js';
import { ProjectionRunner } from './runner.js';
import type { Projection } from './projection.js';
import { REBUILD_BATCH } from './scratch.js';

const ctx = { actor: 'admin', correlationId: 'c', commandId: 'cmd', clock: () => new Date('2026-01-01T00:00:00Z') };
let n = 0;
const stored = (e: DomainEvent) => toNewEvent(e, { ...ctx, commandId: `cmd-${n++}` }, '0');

const jobCreated = (jobId: string, name: string): DomainEvent => ({
  type: 'JobCreated',
  data: { jobId, workspaceId: 'w', name, type: 'Standard', sourceConnectionId: null, destinationConnectionId: null, schedule: DEFAULT_SCHEDULE, settings: DEFAULT_SETTINGS },
});
/** A job as readers see it, with its tasks. */
const jobOf = async (reads: SqliteReadStore, jobId: string) => {
  const job = await reads.get<JobRecord>(JOBS, jobId);
  return job && (await withTasks(reads, [job]))[0];
};
const taskAdded = (jobId: string, taskId: string, index: number): DomainEvent => ({
  type: 'TaskAdded',
  data: { jobId, taskId, query: `REPLICATE [${taskId}]`, isActive: true, index },
});

/** `check` again every 10 ms, for up to 2 s, until `ok` says its answer will do; answers the last one. */
async function eventually<T>(check: () => Promise<T>, ok: (answer: T) => boolean): Promise<T> {
  let answer = await check();
  for (let i = 0; i < 200 && !ok(answer); i++) answer = await new Promise((r) => setTimeout(r, 10)).then(check);
  return answer;
}

describe('projection runner', () => {
  let dir: string;
  let events: SqliteEventStore;
  let reads: SqliteReadStore;
  let runner: ProjectionRunner;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-proj-'));
    events = new SqliteEventStore(join(dir, 'events.db'));
    reads = new SqliteReadStore(join(dir, 'read.db'));
    runner = new ProjectionRunner(events, reads, PROJECTIONS);
  });
  afterEach(async () => {
    await runner.stop();
    await events.close();
    await reads.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('catches up on start, follows live appends and keeps the checkpoint with the documents', async () => {
    await events.append('job-a', [stored(jobCreated('a', 'A')), stored(taskAdded('a', 't1', 0))], 'no_stream');
    await runner.start();
    const { position } = await events.append('job-a', [stored(taskAdded('a', 't0', 0))], 1);
    await runner.waitFor(position);
    const doc = await jobOf(reads, 'a');
    expect(doc?.tasks.map((t) => t.id)).toEqual(['t0', 't1']);
    expect(doc?.version).toBe(2);
    expect(await reads.checkpoint('jobs')).toBe(position);
  });

  it('resumes from its checkpoint after a restart without applying an event twice', async () => {
    await events.append('job-a', [stored(jobCreated('a', 'A')), stored(taskAdded('a', 't1', 0))], 'no_stream');
    await runner.start();
    await runner.waitFor((await events.readAll({ maxCount: 10 }))[1].position);
    await runner.stop();
    const { position } = await events.append('job-a', [stored(taskAdded('a', 't2', 1))], 1);
    runner = new ProjectionRunner(events, reads, PROJECTIONS);
    await runner.start();
    await runner.waitFor(position);
    expect((await jobOf(reads, 'a'))?.tasks.map((t) => t.id)).toEqual(['t1', 't2']);
  });

  it('rebuilds from position 0 into the same documents, and the live runner follows on', async () => {
    for (let i = 0; i < 30; i++) await events.append(`job-${i}`, [stored(jobCreated(String(i), `J${i}`)), stored(taskAdded(String(i), 't', 0))], 'no_stream');
    await runner.start();
    await runner.waitFor((await events.readAll({ maxCount: 1000 })).at(-1)?.position);
    const all = async () => withTasks(reads, (await reads.find<JobRecord>(JOBS, { limit: 100 })).items);
    const before = await all();
    const { events: count } = await runner.rebuild(PROJECTIONS[0]);
    expect(count).toBe(60);
    expect(await all()).toEqual(before);
    const { position } = await events.append('job-0', [stored(taskAdded('0', 'u', 1))], 1);
    await runner.waitFor(position);
    expect((await jobOf(reads, '0'))?.tasks.map((t) => t.id)).toEqual(['t', 'u']);
  });

  it('forgets the documents it holds when a rebuild is swapped in, also at its own checkpoint', async () => {
    let label = 'old';
    const labels: Projection = {
      name: 'labels',
      collections: { labels: [] },
      async apply(event, tx) {
        const doc = await tx.get<{ id: string; seen: string[] }>('labels', 'c');
        await tx.put('labels', { id: 'c', seen: [...(doc?.seen ?? []), label] });
      },
    };
    const tick = (): DomainEvent => ({ type: 'Tick', data: {} }) as unknown as DomainEvent;
    runner = new ProjectionRunner(events, reads, [labels]);
    await runner.start();
    await events.append('x-1', [stored(tick())], 'no_stream');
    await runner.waitFor((await events.append('x-1', [stored(tick())], 0)).position);
    label = 'new';
    await runner.rebuild(labels);
    expect((await reads.get<{ id: string; seen: string[] }>('labels', 'c'))?.seen).toEqual(['new', 'new']);
    await runner.waitFor((await events.append('x-1', [stored(tick())], 1)).position);
    expect((await reads.get<{ id: string; seen: string[] }>('labels', 'c'))?.seen).toEqual(['new', 'new', 'new']);
  });

  it('stalls visibly on an event it cannot apply, retries it, and never skips it', async () => {
    let broken = true;
    const fragile: Projection = {
      name: 'fragile',
      collections: { fragile_docs: [] },
      async apply(event, tx) {
        if (event.type === 'Bad' && broken) throw new Error('cannot apply Bad');
        await tx.put('fragile_docs', { id: event.id, type: event.type });
      },
    };
    const good = (type: string): DomainEvent => ({ type, data: {} }) as unknown as DomainEvent;
    await events.append('x-1', [stored(good('Good')), stored(good('Bad')), stored(good('After'))], 'no_stream');
    const bad = (await events.readAll({ maxCount: 10 }))[1];
    runner = new ProjectionRunner(events, reads, [fragile]);
    await runner.start();
    let status = await runner.status();
    while (!status[0].stalled) {
      await new Promise((r) => setTimeout(r, 20));
      status = await runner.status();
    }
    expect(status[0]).toMatchObject({ name: 'fragile', behind: true, stalled: { position: bad.position, type: 'Bad', reason: 'cannot apply Bad' } });
    expect((await reads.find('fragile_docs')).items.map((d) => d.type)).not.toContain('After');
    broken = false;
    expect(await runner.waitFor((await events.lastPosition())!, 10_000)).toBe(true);
    expect((await reads.find('fragile_docs')).items.map((d) => d.type).sort()).toEqual(['After', 'Bad', 'Good']);
    expect((await runner.status())[0]).toMatchObject({ behind: false, eventsBehind: 0 });
    expect((await runner.status())[0].stalled).toBeUndefined();
  });

  it('lets requests in while it applies a long batch, before the batch commits', async () => {
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    const slow: Projection = {
      name: 'slow',
      collections: { slow_docs: [] },
      async apply(event, tx) {
        busy(2);
        await tx.put('slow_docs', { id: event.id });
      },
    };
    const good = (): DomainEvent => ({ type: 'Good', data: {} }) as unknown as DomainEvent;
    await events.append('x-1', Array.from({ length: 100 }, () => stored(good())), 'no_stream');
    runner = new ProjectionRunner(events, reads, [slow]);
    // One batch of 100 events at 2 ms each: a timer due in 5 ms runs while it is applied, not after its commit.
    const seen = new Promise<string | null>((resolve) => setTimeout(() => void reads.checkpoint('slow').then(resolve), 5));
    await runner.start();
    expect(await seen).toBeNull();
    expect(await runner.waitFor((await events.lastPosition())!, 10_000)).toBe(true);
    expect((await reads.find('slow_docs')).items).toHaveLength(100);
  });

  it('keeps the other read models up to date while one is stalled, and that one catches up alone when it recovers', async () => {
    let broken = true;
    const fragile: Projection = {
      name: 'fragile',
      collections: { fragile_docs: [] },
      async apply(event, tx) {
        if (event.type === 'TaskAdded' && broken) throw new Error('cannot apply TaskAdded');
        await tx.put('fragile_docs', { id: event.id, type: event.type });
      },
    };
    runner = new ProjectionRunner(events, reads, [PROJECTIONS[0], fragile]);
    await runner.start();
    const { position } = await events.append('job-a', [stored(jobCreated('a', 'A')), stored(taskAdded('a', 't1', 0))], 'no_stream');
    await eventually(() => reads.checkpoint('jobs'), (checkpoint) => checkpoint === position);
    expect((await jobOf(reads, 'a'))?.tasks.map((t) => t.id)).toEqual(['t1']);
    expect((await runner.status()).find((s) => s.name === 'fragile')).toMatchObject({ behind: true, stalled: { type: 'TaskAdded' } });
    broken = false;
    expect(await runner.waitFor(position, 10_000)).toBe(true);
    expect((await reads.find('fragile_docs')).items.map((d) => d.type).sort()).toEqual(['JobCreated', 'TaskAdded']);
  });

  it('retries a projection that stalled during a long catch-up from its own checkpoint, skipping nothing', async () => {
    let failures = 0;
    const fragile: Projection = {
      name: 'fragile',
      collections: { fragile_docs: [] },
      async apply(event, tx) {
        if (event.type === 'Bad' && failures++ < 2) throw new Error('cannot apply Bad yet');
        await tx.put('fragile_docs', { id: event.id, type: event.type });
      },
    };
    const event = (type: string): DomainEvent => ({ type, data: {} }) as unknown as DomainEvent;
    await events.append('x-1', [stored(event('Good')), stored(event('Bad'))], 'no_stream');
    for (let i = 0; i < 40; i++) await events.append(`y-${i}`, Array.from({ length: 500 }, () => stored(event('After'))), 'no_stream');
    runner = new ProjectionRunner(events, reads, [PROJECTIONS[0], fragile]);
    await runner.start();
    expect(await runner.waitFor((await events.lastPosition())!, 60_000)).toBe(true);
    const { items } = await reads.find('fragile_docs');
    expect(items.filter((d) => d.type === 'Bad')).toHaveLength(1);
    expect(items).toHaveLength(20_002);
  }, 90_000);

  it('reports every read model stalled while the read store cannot commit, and goes on once it can', async () => {
    let failing = true;
    const flaky = Object.assign(Object.create(reads) as SqliteReadStore, {
      write: (...args: Parameters<SqliteReadStore['write']>) => (failing ? Promise.reject(new Error('disk I/O error')) : reads.write(...args)),
    });
    runner = new ProjectionRunner(events, flaky, PROJECTIONS);
    await runner.start();
    const { position } = await events.append('job-a', [stored(jobCreated('a', 'A'))], 'no_stream');
    const status = await eventually(() => runner.status(), (all) => all.every((s) => s.stalled));
    expect(status.map((s) => s.stalled?.reason)).toEqual(PROJECTIONS.map(() => 'disk I/O error'));
    failing = false;
    expect(await runner.waitFor(position, 10_000)).toBe(true);
    expect((await runner.status()).filter((s) => s.stalled)).toEqual([]);
  });

  it('drops the collections a projection no longer keeps (the audit\'s stored job states)', async () => {
    await reads.ensureCollection('audit_job_states', []);
    await reads.write([{ collection: 'audit_job_states', op: 'upsert', doc: { id: 'a', state: {} } }]);
    await runner.prepare();
    const db = new Database(join(dir, 'read.db'), { readonly: true });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name LIKE '%audit_job_states%'").all()).toEqual([]);
    db.close();
  });

  it('rebuilds a read model built by an earlier version of its projection before following the log', async () => {
    // Version 1 kept the job's tasks in its document and nothing in job_tasks.
    const jobs = PROJECTIONS.find((p) => p.name === 'jobs')!;
    const first: Projection = {
      ...jobs,
      version: undefined,
      async apply(event, tx) {
        if (event.type === 'JobCreated') await tx.put(JOBS, { id: (event.data as { jobId: string }).jobId, shape: 1, tasks: ['inside'] });
      },
    };
    await events.append('job-a', [stored(jobCreated('a', 'A')), stored(taskAdded('a', 't1', 0))], 'no_stream');
    const old = new ProjectionRunner(events, reads, [first]);
    await old.start();
    await old.waitFor('2');
    await old.stop();
    expect(await reads.get(JOBS, 'a')).toMatchObject({ shape: 1 });

    await runner.start();
    const { position } = await events.append('job-a', [stored(taskAdded('a', 't2', 1))], 1);
    expect(await runner.waitFor(position)).toBe(true);
    const doc = await jobOf(reads, 'a');
    expect(doc).not.toHaveProperty('shape');
    expect(doc?.tasks.map((t) => t.id)).toEqual(['t1', 't2']);
    expect(await reads.checkpoint('~version:jobs')).toBe('2');
  });

  describe('a read model built by an earlier version', () => {
    /** `alpha`, built by version 1 at the log's head: one document per job, `shape: 1`. */
    async function builtByVersion1(jobs: number, tasksOfLast = 0): Promise<string> {
      await reads.ensureCollection('alpha', []);
      for (let j = 0; j < jobs; j++) {
        const tasks = j === jobs - 1 ? Array.from({ length: tasksOfLast }, (_, t) => stored(taskAdded(`j${j}`, `t${t}`, t))) : [];
        await events.append(`job-j${j}`, [stored(jobCreated(`j${j}`, `J${j}`)), ...tasks], 'no_stream');
      }
      const head = (await events.lastPosition())!;
      await reads.write([{ collection: 'alpha', op: 'upsert', doc: { id: 'old', shape: 1 } }], [{ projection: 'alpha', expected: null, position: head }]);
      return head;
    }
    const alpha = (apply: Projection['apply']): Projection => ({ name: 'alpha', version: 2, collections: { alpha: [] }, apply });
    const jobs = PROJECTIONS.find((p) => p.name === 'jobs')!;

    it('stalls alone when its rebuild fails, and the others go on', async () => {
      await builtByVersion1(3);
      const failing = alpha(async (event) => {
        if ((event.data as { jobId?: string }).jobId === 'j1') throw new Error('cannot fold j1');
      });
      runner = new ProjectionRunner(events, reads, [failing, jobs]);
      await runner.start();
      const { position } = await events.append('job-late', [stored(jobCreated('late', 'Late'))], 'no_stream');
      const status = await eventually(() => runner.status(), (all) => !!all.find((s) => s.name === 'alpha')?.stalled);
      expect(status.find((s) => s.name === 'alpha')?.stalled?.reason).toMatch(/Rebuilding it for version 2 .*cannot fold j1/);
      // jobs follows the log meanwhile, and alpha's old documents are still what readers get
      await eventually(() => jobOf(reads, 'late'), (job) => !!job);
      expect((await jobOf(reads, 'late'))?.name).toBe('Late');
      expect(await reads.get('alpha', 'old')).toMatchObject({ shape: 1 });
      expect(await reads.checkpoint('~version:alpha')).toBeNull();
      expect(position).toBeDefined();
    });

    it('gives its rebuild up when the runner stops, swapping nothing in', async () => {
      // More events than one batch of a rebuild: it stops between batches.
      await builtByVersion1(1, REBUILD_BATCH + 100);
      let applied = 0;
      const slow = alpha(async (event, tx) => {
        if (applied++ % 100 === 0) await new Promise((r) => setTimeout(r, 1));
        await tx.put('alpha', { id: (event.data as { jobId: string }).jobId, shape: 2 });
      });
      runner = new ProjectionRunner(events, reads, [slow]);
      await runner.start();
      while (applied === 0) await new Promise((r) => setTimeout(r, 1));
      await runner.stop();
      expect(applied).toBeLessThanOrEqual(REBUILD_BATCH);
      expect(await reads.get('alpha', 'old')).toMatchObject({ shape: 1 });
      expect(await reads.checkpoint('~version:alpha')).toBeNull();
    });
  });

  it('builds a new read model at its projection\'s version without a rebuild', async () => {
    await runner.start();
    const { position } = await events.append('job-a', [stored(jobCreated('a', 'A'))], 'no_stream');
    await runner.waitFor(position);
    expect(await reads.checkpoint('~version:jobs')).toBe('2');
    expect(await reads.checkpoint('~version:audit')).toBe('2');
    expect(await reads.checkpoint('~swapped')).toBeNull();
  });

  it('says when a position was not reached in time, and at once when it is stopped', async () => {
    const { position } = await events.append('job-a', [stored(jobCreated('a', 'A'))], 'no_stream');
    await runner.start();
    expect(await runner.waitFor(position)).toBe(true);
    expect(await runner.waitFor(String(Number(position) + 1), 10)).toBe(false);
    await runner.stop();
    expect(await runner.waitFor(String(Number(position) + 1))).toBe(false);
  });

  it('runs each projection in one instance at a time; the other follows and takes over when it stops', async () => {
    const otherReads = new SqliteReadStore(join(dir, 'read.db'));
    const other = new ProjectionRunner(events, otherReads, PROJECTIONS);
    try {
      await events.append('job-a', [stored(jobCreated('a', 'A')), stored(taskAdded('a', 't1', 0))], 'no_stream');
      await runner.start();
      await other.start();
      const { position } = await events.append('job-a', [stored(taskAdded('a', 't2', 1))], 1);
      expect(await runner.waitFor(position)).toBe(true);
      expect(await other.waitFor(position)).toBe(true);
      const leaders = async () => [(await runner.status()).filter((s) => s.leader).length, (await other.status()).filter((s) => s.leader).length];
      expect(await leaders()).toEqual([PROJECTIONS.length, 0]);
      await runner.stop();
      const next = await events.append('job-a', [stored(taskAdded('a', 't3', 2))], 2);
      expect(await other.waitFor(next.position)).toBe(true);
      expect((await leaders())[1]).toBe(PROJECTIONS.length);
      expect((await jobOf(otherReads, 'a'))?.tasks.map((t) => t.id)).toEqual(['t1', 't2', 't3']);
    } finally {
      await other.stop();
      await otherReads.close();
    }
  });
});
