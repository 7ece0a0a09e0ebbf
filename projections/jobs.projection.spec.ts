import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '../src/core/events.js';
import type { Doc, FindQuery, ReadStore } from '../src/core/read-store.js';
import { SqliteReadStore } from '../src/infrastructure/sqlite/sqlite-read-store.js';
import { type JobCommand, type JobEvent, type JobState, jobDecider } from '../src/jobs/job.decider.js';
import { withTasks } from '../src/jobs/job-tasks.js';
import { JOB_TASKS, type JobRecord, JOBS } from '../src/jobs/jobs.read-model.js';
import { jobsProjection } from './jobs.projection.js';
import { collectionsOf, type Projection, ProjectionTx } from './projection.js';

/** A job's life decided by the job decider itself, so every event is one the write side could append. */
class JobLog {
  state: JobState = jobDecider.initialState;
  readonly events: RecordedEvent[] = [];
  constructor(readonly jobId: string) {}

  decide(command: JobCommand): void {
    for (const event of jobDecider.decide(command, this.state)) {
      this.state = jobDecider.evolve(this.state, event);
      const n = this.events.length;
      const metadata = { actor: 'test', correlationId: 'c', occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(), schemaVersion: 1 };
      this.events.push({ ...(event as JobEvent), id: `${this.jobId}-${n}`, stream: `job-${this.jobId}`, revision: n, position: String(n + 1), metadata });
    }
  }

  create(tasks = 0): this {
    this.decide({ type: 'CreateJob', data: { jobId: this.jobId, workspaceId: 'w', name: this.jobId, type: 'Standard', tasks: [] } });
    for (let i = 0; i < tasks; i++) this.add(`t${i}`);
    return this;
  }

  add(taskId: string, index?: number): void {
    this.decide({ type: 'AddTask', data: { task: { id: taskId, query: `REPLICATE [${taskId}]`, isActive: true }, index } });
  }

  get taskIds(): string[] {
    return this.state.status === 'none' ? [] : this.state.tasks.map((t) => t.id);
  }
}

/** A small deterministic random number generator (mulberry32), so a failing sequence can be replayed. */
function random(seed: number): (below: number) => number {
  return (below) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}

describe('jobs read model: tasks as documents of their own', () => {
  let dir: string;
  let store: SqliteReadStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-jobs-projection-'));
    store = new SqliteReadStore(join(dir, 'read.db'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Collections under their own names (`prefix` ''), or under a prefix for a second copy of the read model. */
  async function model(prefix = '') {
    const physical = (collection: string) => `${prefix}${collection}`;
    for (const [name, indexes] of Object.entries(collectionsOf(jobsProjection))) await store.ensureCollection(physical(name), indexes);
    const reads: Pick<ReadStore, 'find' | 'get'> = {
      find: <T extends Doc>(c: string, q?: FindQuery) => store.find<T>(physical(c), q),
      get: <T extends Doc>(c: string, id: string) => store.get<T>(physical(c), id),
    };
    return {
      async deliver(batch: RecordedEvent[]) {
        const tx = new ProjectionTx(store, jobsProjection, { physical });
        for (const event of batch) await tx.apply(event);
        await store.write(tx.writes());
      },
      async taskIds(jobId: string) {
        const job = await reads.get<JobRecord>(JOBS, jobId);
        return job ? (await withTasks(reads, [job]))[0].tasks.map((t) => t.id) : null;
      },
      async documents() {
        return { jobs: (await reads.find(JOBS)).items, tasks: (await reads.find(JOB_TASKS)).items };
      },
    };
  }

  it('keeps the tasks in the order the decider has them through inserts in the middle, moves and deletes, batch after batch', async () => {
    const next = random(7);
    const log = new JobLog('j').create(5);
    for (let step = 0; step < 300; step++) {
      const ids = log.taskIds;
      const pick = () => ids[next(ids.length)];
      // Adds twice as likely as each other change, so the job grows.
      const kind = ids.length < 3 ? 0 : next(5) % 4;
      if (kind === 0) log.add(`n${step}`, next(ids.length + 1));
      if (kind === 1) log.decide({ type: 'MoveTask', data: { taskId: pick(), toIndex: next(ids.length) } });
      if (kind === 2) log.decide({ type: 'DeleteTask', data: { taskId: pick() } });
      if (kind === 3) log.decide({ type: 'UpdateTask', data: { taskId: pick(), isActive: next(2) === 0, index: next(ids.length) } });
    }
    const read = await model();
    let at = 0;
    while (at < log.events.length) {
      const end = Math.min(log.events.length, at + 1 + next(20));
      await read.deliver(log.events.slice(at, end));
      at = end;
      const replay = new JobLog('j');
      for (const event of log.events.slice(0, end)) replay.state = jobDecider.evolve(replay.state, event as unknown as JobEvent);
      expect(await read.taskIds('j')).toEqual(replay.taskIds);
    }
    expect(await read.taskIds('j')).toEqual(log.taskIds);
    expect(log.taskIds.length).toBeGreaterThan(10);
  });

  it('leaves the same documents when batches are delivered again from older positions, with other boundaries', async () => {
    const next = random(11);
    const log = new JobLog('j').create(4);
    for (let step = 0; step < 60; step++) {
      const ids = log.taskIds;
      const kind = ids.length < 3 ? 0 : next(3);
      if (kind === 0) log.add(`n${step}`, next(ids.length + 1));
      if (kind === 1) log.decide({ type: 'MoveTask', data: { taskId: ids[next(ids.length)], toIndex: next(ids.length) } });
      if (kind === 2) log.decide({ type: 'DeleteTask', data: { taskId: ids[next(ids.length)] } });
    }
    const once = await model();
    await once.deliver(log.events);
    const twice = await model('twice_');
    // After a crash before the checkpoint, the log is read again from an older position.
    let reached = 0;
    while (reached < log.events.length) {
      const from = next(reached + 1);
      const to = Math.min(log.events.length, reached + 1 + next(25));
      await twice.deliver(log.events.slice(from, to));
      reached = Math.max(reached, to);
    }
    await twice.deliver(log.events);
    expect(await twice.taskIds('j')).toEqual(log.taskIds);
    expect(await twice.documents()).toEqual(await once.documents());
  });

  it('drops a deleted job with its tasks; created again, it starts with none', async () => {
    const log = new JobLog('j').create(3);
    const read = await model();
    await read.deliver(log.events);
    log.decide({ type: 'DeleteJob', data: {} });
    await read.deliver(log.events.slice(-1));
    expect(await read.taskIds('j')).toBeNull();
    expect((await read.documents()).tasks).toEqual([]);
    const again = log.events.length;
    const { type, enabled, sourceConnectionId, destinationConnectionId, schedule, settings } = log.state as Extract<JobState, { status: 'deleted' }>;
    const definition = { name: 'again', type, enabled, sourceConnectionId, destinationConnectionId, schedule, settings };
    log.decide({ type: 'DeclareJob', data: { jobId: 'j', workspaceId: 'w', definition, tasks: [{ id: 'z', query: 'REPLICATE [z]', isActive: true }] } });
    await read.deliver(log.events.slice(again));
    expect(await read.taskIds('j')).toEqual(['z']);
  });

  /** The documents one more task added at the end of a job reads and writes, through `projection`. */
  async function costOfAdding(projection: Projection, log: JobLog, position: number) {
    log.add('last');
    const event = { ...log.events.at(-1)!, position: String(position) };
    const counted = { reads: 0 };
    const counting = {
      getApplied: <T extends Doc>(c: string, id: string) => (counted.reads++, store.getApplied<T>(c, id)),
      find: <T extends Doc>(c: string, q?: FindQuery) => (counted.reads++, store.find<T>(c, q)),
    };
    const tx = new ProjectionTx(counting, projection);
    await tx.apply(event);
    const writes = tx.writes();
    await store.write(writes);
    return { reads: counted.reads, writes: writes.map((w) => w.collection), bytes: JSON.stringify(writes).length };
  }

  it.each([jobsProjection])('$name: adds a task at the end of a job of 3,000 tasks reading and writing what it does on a job of 10', async (projection) => {
    for (const [name, indexes] of Object.entries(collectionsOf(projection))) await store.ensureCollection(name, indexes);
    const big = new JobLog('big').create(3000);
    const small = new JobLog('ten').create(10);
    const tx = new ProjectionTx(store, projection);
    for (const event of [...big.events, ...small.events.map((e, i) => ({ ...e, position: String(big.events.length + i + 1) }))]) await tx.apply(event);
    await store.write(tx.writes());
    const onBig = await costOfAdding(projection, big, 10_000);
    const onSmall = await costOfAdding(projection, small, 10_001);
    expect(onBig.reads).toBe(onSmall.reads);
    expect(onBig.writes).toEqual(onSmall.writes);
    // The same documents, give or take the digits of a count and a version.
    expect(Math.abs(onBig.bytes - onSmall.bytes)).toBeLessThan(16);
  });

  it('keeps the job document small and its tasks in order on a job of 3,000 tasks', async () => {
    const log = new JobLog('big').create(3000);
    const read = await model();
    await read.deliver(log.events);
    log.add('first', 0);
    await read.deliver(log.events.slice(-1));
    expect(JSON.stringify(await store.get(JOBS, 'big')).length).toBeLessThan(3000);
    const ids = (await read.taskIds('big'))!;
    expect([ids.length, ...ids.slice(0, 2), ids.at(-1)]).toEqual([3001, 'first', 't0', 't2999']);
  });
});
