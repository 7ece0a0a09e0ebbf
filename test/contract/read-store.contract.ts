import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '../../src/core/events.js';
import { CheckpointMovedError, type Doc, type ReadStore } from '../../src/core/read-store.js';
import { DEFAULT_SCHEDULE, DEFAULT_SETTINGS } from '../../src/jobs/job.model.js';
import { jobsProjection } from '../../projections/jobs.projection.js';
import { collectionsOf, ProjectionTx } from '../../projections/projection.js';
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

    it('moves a checkpoint atomically with its writes and refuses a stale one, writing nothing', async () => {
      const projection = `p_${coll}`;
      expect(await store.checkpoint(projection)).toBeNull();
      await store.write([{ collection: coll, op: 'patch', id: 'i00', set: { n: 100 } }], { projection, expected: null, position: '5' });
      expect(await store.checkpoint(projection)).toBe('5');
      await expect(
        store.write([{ collection: coll, op: 'patch', id: 'i00', set: { n: 200 } }], { projection, expected: '4', position: '6' }),
      ).rejects.toBeInstanceOf(CheckpointMovedError);
      expect(await store.checkpoint(projection)).toBe('5');
      expect((await store.get<Item>(coll, 'i00'))?.n).toBe(100);
    });

    it('swaps a rebuilt collection in with its indexes and checkpoint', async () => {
      const rebuilt = `${coll}_next`;
      await store.ensureCollection(rebuilt, [{ fields: ['level'] }]);
      await store.write([{ collection: rebuilt, op: 'upsert', doc: { id: 'r1', level: 'info' } }]);
      await store.swap([{ from: rebuilt, to: coll }], { projection: `p_${coll}`, position: '9' });
      expect((await store.find(coll)).items.map((d) => d.id)).toEqual(['r1']);
      expect(await store.checkpoint(`p_${coll}`)).toBe('9');
      // the name of the rebuilt collection is free again for the next rebuild
      await store.ensureCollection(rebuilt, [{ fields: ['level'] }]);
      expect((await store.find(rebuilt)).items).toEqual([]);
      await store.dropCollection(rebuilt);
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
        const tx = new ProjectionTx(store, jobsProjection, physical);
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
      const jobs = async (physical: (c: string) => string) => (await store.find(physical('jobs'))).items;
      expect((await jobs(once)).map((j) => [j.id, (j.tasks as Array<{ id: string }>).map((t) => t.id)])).toEqual([['a', ['t1', 't0']]]);
      expect(await jobs(twice)).toEqual(await jobs(once));
      for (const physical of [once, twice]) {
        for (const name of Object.keys(collectionsOf(jobsProjection))) await store.dropCollection(physical(name));
      }
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
