import { randomUUID } from 'node:crypto';
import { CheckpointMovedError, type Doc, type ReadStore } from '../../src/core/read-store.js';

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
