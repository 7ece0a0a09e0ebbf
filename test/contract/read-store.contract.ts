import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '../../src/core/events.js';
import { CheckpointMovedError, type Doc, type FindQuery, type ReadStore, SWAPPED } from '../../src/core/read-store.js';
import { DEFAULT_SCHEDULE, DEFAULT_SETTINGS } from '../../src/jobs/job.model.js';
import { withTasks } from '../../src/jobs/job-tasks.js';
import { JOB_TASKS, type JobRecord, JOBS } from '../../src/jobs/jobs.read-model.js';
import { jobsProjection } from '../../projections/jobs.projection.js';
import { collectionsOf, type Projection, ProjectionTx } from '../../projections/projection.js';
import { readStoreSearchContract } from './read-store-search.contract.js';

/** A job's life in the log: created, tasks added, moved, changed and deleted; a second job created and deleted. */
function jobHistory(): RecordedEvent[] {
  const events: Array<[string, string, Record<string, unknown>]> = [
    ['job-a', 'JobCreated', { jobId: 'a', workspaceId: 'w', name: 'A', type: 'Standard', sourceConnectionId: null, destinationConnectionId: null, schedule: DEFAULT_SCHEDULE, settings: DEFAULT_SETTINGS }],
    ['job-a', 'TaskAdded', { jobId: 'a', taskId: 't1', query: 'REPLICATE [t1]', isActive: true, index: 0 }],
    ['job-a', 'TaskAdded', { jobId: 'a', taskId: 't2', query: 'REPLICATE [t2]', isActive: true, index: 1 }],
    ['job-b', 'JobCreated', { jobId: 'b', workspaceId: 'w', name: 'B', type: 'Standard', sourceConnectionId: null, destinationConnectionId: null, schedule: DEFAULT_SCHEDULE, settings: DEFAULT_SETTINGS }],
    ['job-a', 'TaskAdded', { jobId: 'a', taskId: 't0', query: 'REPLICATE [t0]', isActive: true, index: 0 }],
    ['job-a', 'TaskMoved', { jobId: 'a', taskId: 't0', fromIndex: 0, toIndex: 2 }],
    ['job-b', 'JobDeleted', { jobId: 'b', workspaceId: 'w' }],
    ['job-a', 'TaskUpdated', { jobId: 'a', taskId: 't1', isActive: false }],
    ['job-a', 'TaskDeleted', { jobId: 'a', taskId: 't2', index: 1 }],
    ['job-a', 'JobUpdated', { jobId: 'a', changes: { name: 'A2' } }],
  ];
  const revisions = new Map<string, number>();
  return events.map(([stream, type, data], i) => {
    const revision = (revisions.get(stream) ?? -1) + 1;
    revisions.set(stream, revision);
    const metadata = { actor: 'test', correlationId: 'c', occurredAt: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`, schemaVersion: 1 };
    return { id: randomUUID(), stream, revision, position: String(i + 1), type, data, metadata };
  });
}

interface Item extends Doc {
  job: string;
  level: string;
  at: string;
  n: number;
  active: boolean;
  nested?: { tag: string };
}

/** Every ReadStore adapter must pass this suite. */
export function readStoreContract(name: string, open: () => Promise<ReadStore>): void {
  describe(`ReadStore contract: ${name}`, () => {
    readStoreSearchContract(open);

    let store: ReadStore;
    let coll: string;

    beforeEach(async () => {
      store = await open();
      coll = `items_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      await store.ensureCollection(coll, [{ fields: ['job', 'at'] }, { fields: ['level'] }]);
      const items: Item[] = Array.from({ length: 10 }, (_, i) => ({
        id: `i${String(i).padStart(2, '0')}`,
        job: i % 2 ? 'odd' : 'even',
        level: ['info', 'warn', 'error'][i % 3],
        at: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`,
        n: i,
        active: i < 5,
        nested: { tag: i < 3 ? 'a' : 'b' },
      }));
      await store.write(items.map((doc) => ({ collection: coll, op: 'upsert' as const, doc })));
    });
    afterEach(async () => {
      await store.dropCollection(coll);
      await store.close();
    });

    it('gets a document by id and answers null for a missing one', async () => {
      expect(await store.get<Item>(coll, 'i03')).toMatchObject({ id: 'i03', n: 3, nested: { tag: 'b' } });
      expect(await store.get(coll, 'nope')).toBeNull();
    });

    it('answers each read after a write with what was written, whatever the kind of write', async () => {
      const odd = async () => (await store.find<Item>(coll, { filter: { job: 'odd' }, sort: { field: 'at', order: 1 } })).items.map((d) => `${d.id}:${d.n}`);
      expect(await odd()).toEqual(['i01:1', 'i03:3', 'i05:5', 'i07:7', 'i09:9']);
      expect((await store.get<Item>(coll, 'i03'))?.n).toBe(3);
      await store.write([{ collection: coll, op: 'patch', id: 'i03', set: { n: 33 } }]);
      expect((await store.get<Item>(coll, 'i03'))?.n).toBe(33);
      expect(await odd()).toEqual(['i01:1', 'i03:33', 'i05:5', 'i07:7', 'i09:9']);
      await store.write([{ collection: coll, op: 'upsert', doc: { id: 'i11', job: 'odd', level: 'info', at: '2026-01-01T00:00:11Z', n: 11, active: false, nested: { tag: 'b' } } }]);
      expect(await odd()).toEqual(['i01:1', 'i03:33', 'i05:5', 'i07:7', 'i09:9', 'i11:11']);
      await store.write([{ collection: coll, op: 'delete', id: 'i01' }]);
      expect(await store.get(coll, 'i01')).toBeNull();
      await store.write([{ collection: coll, op: 'deleteWhere', filter: { n: { $in: [7, 9, 11] } } }]);
      expect(await odd()).toEqual(['i03:33', 'i05:5']);
      // a write that fails changes nothing, and the next read says so
      await expect(store.write([{ collection: coll, op: 'delete', id: 'i03' }], [{ projection: `p_${coll}`, expected: 'stale', position: '1' }])).rejects.toThrow(CheckpointMovedError);
      expect(await odd()).toEqual(['i03:33', 'i05:5']);
    });

    it('filters by equality on fields, booleans and dotted paths', async () => {
      const { items } = await store.find<Item>(coll, { filter: { job: 'odd', active: true } });
      expect(items.map((i) => i.n)).toEqual([1, 3]);
      const tagged = await store.find<Item>(coll, { filter: { 'nested.tag': 'a' } });
      expect(tagged.items.map((i) => i.n)).toEqual([0, 1, 2]);
    });

    it('filters with $in and $gte/$lte ranges', async () => {
      const { items } = await store.find<Item>(coll, {
        filter: { level: { $in: ['warn', 'error'] }, at: { $gte: '2026-01-01T00:00:02Z', $lte: '2026-01-01T00:00:07Z' } },
      });
      expect(items.map((i) => i.n)).toEqual([2, 4, 5, 7]);
    });

    it('sorts descending and pages with a cursor without gaps or repeats', async () => {
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.find<Item>(coll, { sort: { field: 'n', order: -1 }, limit: 3, cursor });
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((i) => i.n));
        cursor = page.next;
      } while (cursor);
      expect(seen).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    });

    it('pages on a sort field with ties, breaking ties by id', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.find<Item>(coll, { sort: { field: 'job', order: 1 }, limit: 4, cursor });
        seen.push(...page.items.map((i) => i.id));
        cursor = page.next;
      } while (cursor);
      expect(seen).toEqual(['i00', 'i02', 'i04', 'i06', 'i08', 'i01', 'i03', 'i05', 'i07', 'i09']);
    });

    it('patches fields, replaces on upsert and deletes', async () => {
      await store.write([
        { collection: coll, op: 'patch', id: 'i01', set: { level: 'debug', 'nested.tag': 'z' } },
        { collection: coll, op: 'delete', id: 'i02' },
        { collection: coll, op: 'upsert', doc: { id: 'i03', job: 'x', level: 'info', at: 'a', n: 33, active: false } },
      ]);
      expect(await store.get<Item>(coll, 'i01')).toMatchObject({ level: 'debug', nested: { tag: 'z' }, n: 1 });
      expect(await store.get(coll, 'i02')).toBeNull();
      expect(await store.get<Item>(coll, 'i03')).toEqual({ id: 'i03', job: 'x', level: 'info', at: 'a', n: 33, active: false });
    });

    it('deletes by filter exactly the matching documents, with $in or a range', async () => {
      const ids = async () => (await store.find<Item>(coll)).items.map((i) => i.n);
      await store.write([{ collection: coll, op: 'deleteWhere', filter: { level: { $in: ['warn', 'error'] } } }]);
      expect(await ids()).toEqual([0, 3, 6, 9]);
      await store.write([{ collection: coll, op: 'deleteWhere', filter: { at: { $gte: '2026-01-01T00:00:03Z', $lte: '2026-01-01T00:00:06Z' }, job: 'odd' } }]);
      expect(await ids()).toEqual([0, 6, 9]);
      await store.write([{ collection: coll, op: 'deleteWhere', filter: { level: { $in: [] } } }]);
      expect(await ids()).toEqual([0, 6, 9]);
    });

    it('deletes by filter in order with the other writes: what is written after it stays', async () => {
      await store.write([
        { collection: coll, op: 'upsert', doc: { id: 'before', level: 'info' } },
        { collection: coll, op: 'patch', id: 'i01', set: { level: 'info' } },
        { collection: coll, op: 'deleteWhere', filter: { level: 'info' } },
        { collection: coll, op: 'upsert', doc: { id: 'after', level: 'info' } },
        { collection: coll, op: 'upsert', doc: { id: 'i03', level: 'info', n: 33 } },
        { collection: coll, op: 'patch', id: 'i04', set: { level: 'info' } },
      ]);
      const { items } = await store.find<Item>(coll, { filter: { level: 'info' } });
      expect(items.map((i) => i.id)).toEqual(['after', 'i03', 'i04']);
      expect((await store.find(coll)).items.map((i) => i.id)).toEqual(['after', 'i02', 'i03', 'i04', 'i05', 'i07', 'i08']);
    });

    it('commits a delete by filter with the other writes and the checkpoint, or nothing of it', async () => {
      const projection = `p_${coll}`;
      const writes = [
        { collection: coll, op: 'deleteWhere' as const, filter: { job: 'odd' } },
        { collection: coll, op: 'patch' as const, id: 'i00', set: { n: 100 } },
      ];
      await expect(store.write(writes, [{ projection, expected: '4', position: '5' }])).rejects.toBeInstanceOf(CheckpointMovedError);
      expect(await store.checkpoint(projection)).toBeNull();
      expect((await store.find(coll)).items).toHaveLength(10);
      expect((await store.get<Item>(coll, 'i00'))?.n).toBe(0);
      await store.write(writes, [{ projection, expected: null, position: '5' }]);
      expect(await store.checkpoint(projection)).toBe('5');
      expect((await store.find<Item>(coll)).items.map((i) => i.n)).toEqual([100, 2, 4, 6, 8]);
    });

    it('deletes by filter from a text-indexed collection so that $text no longer finds the documents', async () => {
      const texts = `${coll}_t`;
      await store.ensureCollection(texts, [{ fields: ['kind'] }, { fields: ['message'], text: true }]);
      const docs = [
        { id: 't1', kind: 'keep', message: 'alpha connection timeout' },
        { id: 't2', kind: 'keep', message: 'beta rows written' },
        { id: 't3', kind: 'drop', message: 'gamma connection timeout' },
        { id: 't4', kind: 'drop', message: 'delta rows written' },
      ];
      await store.write(docs.map((doc) => ({ collection: texts, op: 'upsert' as const, doc })));
      const search = async (text: string) => (await store.find(texts, { filter: { message: { $text: text } } })).items.map((d) => d.id);
      await store.write([{ collection: texts, op: 'deleteWhere', filter: { kind: 'drop' } }]);
      expect(await search('timeout')).toEqual(['t1']);
      expect(await search('delta')).toEqual([]);
      // Documents written afterwards (on SQLite, into the rowids just freed) are found by their own words only.
      await store.write([
        { collection: texts, op: 'upsert', doc: { id: 't5', kind: 'new', message: 'epsilon' } },
        { collection: texts, op: 'upsert', doc: { id: 't6', kind: 'new', message: 'zeta' } },
      ]);
      expect(await search('gamma')).toEqual([]);
      expect(await search('delta')).toEqual([]);
      expect(await search('written')).toEqual(['t2']);
      expect(await search('zeta')).toEqual(['t6']);
      // A $text condition selects what to delete, too.
      await store.write([{ collection: texts, op: 'deleteWhere', filter: { message: { $text: 'connection' } } }]);
      expect((await store.find(texts)).items.map((d) => d.id)).toEqual(['t2', 't5', 't6']);
      expect(await search('alpha')).toEqual([]);
      await store.dropCollection(texts);
    });

    it('moves a checkpoint atomically with its writes and refuses a stale one, writing nothing', async () => {
      const projection = `p_${coll}`;
      expect(await store.checkpoint(projection)).toBeNull();
      await store.write([{ collection: coll, op: 'patch', id: 'i00', set: { n: 100 } }], [{ projection, expected: null, position: '5' }]);
      expect(await store.checkpoint(projection)).toBe('5');
      await expect(
        store.write([{ collection: coll, op: 'patch', id: 'i00', set: { n: 200 } }], [{ projection, expected: '4', position: '6' }]),
      ).rejects.toBeInstanceOf(CheckpointMovedError);
      expect(await store.checkpoint(projection)).toBe('5');
      expect((await store.get<Item>(coll, 'i00'))?.n).toBe(100);
    });

    it('moves several projections\' checkpoints with their writes in one write, or none when one is stale', async () => {
      const [a, b] = [`a_${coll}`, `b_${coll}`];
      await store.write([{ collection: coll, op: 'patch', id: 'i00', set: { n: 100 } }], [{ projection: a, expected: null, position: '5' }, { projection: b, expected: null, position: '5' }]);
      expect([await store.checkpoint(a), await store.checkpoint(b)]).toEqual(['5', '5']);
      const stale = [{ projection: a, expected: '5', position: '6' }, { projection: b, expected: '4', position: '6' }];
      await expect(store.write([{ collection: coll, op: 'patch', id: 'i01', set: { n: 200 } }], stale)).rejects.toBeInstanceOf(CheckpointMovedError);
      expect([await store.checkpoint(a), await store.checkpoint(b)]).toEqual(['5', '5']);
      expect((await store.get<Item>(coll, 'i01'))?.n).toBe(1);
    });

    it('swaps a rebuilt collection in with its indexes and checkpoint', async () => {
      const rebuilt = `${coll}_next`;
      await store.ensureCollection(rebuilt, [{ fields: ['level'] }]);
      await store.write([{ collection: rebuilt, op: 'upsert', doc: { id: 'r1', level: 'info' } }]);
      const swapped = await store.checkpoint(SWAPPED);
      expect((await store.find(coll)).items).toHaveLength(10);
      await store.swap([{ from: rebuilt, to: coll }], { projection: `p_${coll}`, position: '9' });
      expect((await store.find(coll)).items.map((d) => d.id)).toEqual(['r1']);
      expect(await store.checkpoint(`p_${coll}`)).toBe('9');
      // a runner holding documents in memory can tell, even at the same checkpoint
      expect(await store.checkpoint(SWAPPED)).not.toBe(swapped);
      // the name of the rebuilt collection is free again for the next rebuild
      await store.ensureCollection(rebuilt, [{ fields: ['level'] }]);
      expect((await store.find(rebuilt)).items).toEqual([]);
      await store.dropCollection(rebuilt);
    });

    it('swaps nothing when its guard checkpoint has moved, and moves the guard with the swap otherwise', async () => {
      const rebuilt = `${coll}_g`;
      const guard = `g_${coll}`;
      await store.ensureCollection(rebuilt, []);
      await store.write([{ collection: rebuilt, op: 'upsert', doc: { id: 'r1' } }], [{ projection: guard, expected: null, position: 'mine' }]);
      const stale = { projection: guard, expected: 'theirs', position: null };
      await expect(store.swap([{ from: rebuilt, to: coll }], { projection: `p_${coll}`, position: '9' }, stale)).rejects.toBeInstanceOf(CheckpointMovedError);
      expect((await store.find(coll)).items).toHaveLength(10);
      expect(await store.checkpoint(`p_${coll}`)).toBeNull();
      await store.swap([{ from: rebuilt, to: coll }], { projection: `p_${coll}`, position: '9' }, { ...stale, expected: 'mine' });
      expect((await store.find(coll)).items.map((d) => d.id)).toEqual(['r1']);
      expect(await store.checkpoint(guard)).toBeNull();
    });

    it('pages over null and missing sort values in both directions without gaps or repeats', async () => {
      const sparse = `${coll}_n`;
      await store.ensureCollection(sparse, [{ fields: ['at'] }]);
      const docs = [
        { id: 'a', at: '2026-01-03' },
        { id: 'b', at: null },
        { id: 'c', at: '2026-01-01' },
        { id: 'd' },
        { id: 'e', at: '2026-01-02' },
        { id: 'f', at: null },
        { id: 'g', at: '2026-01-01' },
      ];
      await store.write(docs.map((doc) => ({ collection: sparse, op: 'upsert' as const, doc })));
      const pages = async (order: 1 | -1) => {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.find(sparse, { sort: { field: 'at', order }, limit: 2, cursor });
          seen.push(...page.items.map((d) => d.id));
          cursor = page.next;
        } while (cursor);
        return seen;
      };
      // Nulls (and missing values) sort first ascending and last descending, ties broken by id.
      expect(await pages(1)).toEqual(['b', 'd', 'f', 'c', 'g', 'e', 'a']);
      expect(await pages(-1)).toEqual(['a', 'e', 'g', 'c', 'f', 'd', 'b']);
      await store.dropCollection(sparse);
    });

    it('leaves a batch delivered again, with other boundaries, as one delivery left it', async () => {
      const prefix = `${coll}_once`;
      const once = (c: string) => `${prefix}_${c}`;
      const twice = (c: string) => `${coll}_twice_${c}`;
      for (const physical of [once, twice]) {
        for (const [name, indexes] of Object.entries(collectionsOf(jobsProjection))) await store.ensureCollection(physical(name), indexes);
      }
      const history = jobHistory();
      const deliver = async (physical: (c: string) => string, batch: RecordedEvent[]) => {
        const tx = new ProjectionTx(store, jobsProjection, { physical });
        for (const event of batch) await tx.apply(event);
        await store.write(tx.writes());
      };
      await deliver(once, history);
      // Documents written, then a crash before the checkpoint: the log is read again from an older position.
      await deliver(twice, history.slice(0, 5));
      await deliver(twice, history.slice(2, 7));
      await deliver(twice, history.slice(0, 3));
      await deliver(twice, history.slice(4));
      await deliver(twice, history);
      const jobs = async (physical: (c: string) => string) => {
        const reads = { find: <T extends Doc>(c: string, q?: FindQuery) => store.find<T>(physical(c), q) };
        return withTasks(reads, (await reads.find<JobRecord>(JOBS)).items);
      };
      expect((await jobs(once)).map((j) => [j.id, j.tasks.map((t) => t.id)])).toEqual([['a', ['t1', 't0']]]);
      expect(await jobs(twice)).toEqual(await jobs(once));
      const tasks = async (physical: (c: string) => string) => (await store.find(physical(JOB_TASKS))).items;
      expect(await tasks(twice)).toEqual(await tasks(once));
      for (const physical of [once, twice]) {
        for (const name of Object.keys(collectionsOf(jobsProjection))) await store.dropCollection(physical(name));
      }
    });

    it('leaves a batch with a bulk delete, delivered again after a crash before the checkpoint, as one delivery left it', async () => {
      const grouped = (docs: string): Projection => ({
        name: `grouped_${coll}`,
        collections: { [docs]: [{ fields: ['group'] }] },
        async apply(event, tx) {
          const { id, group } = event.data as { id: string; group: string };
          if (event.type === 'Put') await tx.put(docs, { id, group });
          else await tx.deleteWhere(docs, 'group', [group]);
        },
      });
      const history: RecordedEvent[] = [
        ['Put', 's1', 'g'],
        ['Put', 's2', 'h'],
        ['Put', 'a', 'g'],
        ['DropGroup', '', 'g'],
        ['Put', 'c', 'g'],
        ['Put', 'd', 'h'],
      ].map(([type, id, group], i) => ({
        id: randomUUID(),
        stream: 'grouped',
        revision: i,
        position: String(i + 1),
        type,
        data: { id, group },
        metadata: { actor: 'test', correlationId: 'c', occurredAt: '2026-01-01T00:00:00Z', schemaVersion: 1 },
      }));
      const [once, twice] = [grouped(`${coll}_g1`), grouped(`${coll}_g2`)];
      for (const p of [once, twice]) for (const [c, indexes] of Object.entries(collectionsOf(p))) await store.ensureCollection(c, indexes);
      const deliver = async (p: Projection, batch: RecordedEvent[]) => {
        const tx = new ProjectionTx(store, p);
        for (const event of batch) await tx.apply(event);
        await store.write(tx.writes());
      };
      await deliver(once, history);
      await deliver(twice, history);
      // Read again from older positions, with other boundaries: the later put of a matching document stays.
      await deliver(twice, history.slice(2, 4));
      await deliver(twice, history.slice(0, 5));
      await deliver(twice, history);
      const docs = async (p: Projection) => (await store.find(Object.keys(p.collections)[0])).items;
      expect((await docs(once)).map((d) => d.id)).toEqual(['c', 'd', 's2']);
      expect(await docs(twice)).toEqual(await docs(once));
      for (const p of [once, twice]) for (const c of Object.keys(collectionsOf(p))) await store.dropCollection(c);
    });

    it('hides the applied position from get and find but shows it to projections', async () => {
      await store.write([{ collection: coll, op: 'upsert', doc: { id: 'p1', n: 1, _pos: '00000000000000000007' } }]);
      expect(await store.get(coll, 'p1')).toEqual({ id: 'p1', n: 1 });
      expect((await store.find(coll, { filter: { n: 1 } })).items.find((d) => d.id === 'p1')).toEqual({ id: 'p1', n: 1 });
      expect(await store.getApplied(coll, 'p1')).toEqual({ id: 'p1', n: 1, _pos: '00000000000000000007' });
    });

    it('gives a lease to one owner at a time, renews it, and hands it over after expiry or release', async () => {
      const lease = `lease-${coll}`;
      expect(await store.acquireLease(lease, 'a', 60_000)).toBe(true);
      expect(await store.acquireLease(lease, 'b', 60_000)).toBe(false);
      expect(await store.acquireLease(lease, 'a', 60_000)).toBe(true);
      expect(await store.lease(lease)).toMatchObject({ name: lease, owner: 'a' });
      expect(await store.acquireLease(lease, 'a', 1)).toBe(true);
      await new Promise((r) => setTimeout(r, 20));
      expect(await store.acquireLease(lease, 'b', 60_000)).toBe(true);
      expect(await store.acquireLease(lease, 'a', 60_000)).toBe(false);
      await store.releaseLease(lease, 'a');
      expect((await store.lease(lease))?.owner).toBe('b');
      await store.releaseLease(lease, 'b');
      expect(await store.lease(lease)).toBeNull();
      expect(await store.acquireLease(lease, 'a', 60_000)).toBe(true);
      await store.releaseLease(lease, 'a');
    });

    it('creates one collection from two callers at once', async () => {
      const shared = `${coll}_shared`;
      await Promise.all([store.ensureCollection(shared, [{ fields: ['level'] }]), store.ensureCollection(shared, [{ fields: ['level'] }])]);
      await store.write([{ collection: shared, op: 'upsert', doc: { id: 'x', level: 'info' } }]);
      expect((await store.find(shared)).items.map((d) => d.id)).toEqual(['x']);
      await store.dropCollection(shared);
    });

    it('enforces a declared unique index', async () => {
      const unique = `${coll}_u`;
      await store.ensureCollection(unique, [{ fields: ['job'], unique: true }]);
      await store.write([{ collection: unique, op: 'upsert', doc: { id: 'a', job: 'same' } }]);
      // Driver errors may come from another realm than Jest's, so check the outcome rather than `instanceof Error`.
      const outcome = await store.write([{ collection: unique, op: 'upsert', doc: { id: 'b', job: 'same' } }]).then(
        () => 'written',
        () => 'rejected',
      );
      expect(outcome).toBe('rejected');
      expect((await store.find(unique)).items.map((d) => d.id)).toEqual(['a']);
      await store.dropCollection(unique);
    });
  });
}
