import { randomUUID } from 'node:crypto';
import type { Doc, FindQuery, IndexSpec, ReadStore } from '../../src/core/read-store.js';

interface Line extends Doc {
  run: string;
  at: string;
  position: string;
  level: number;
  message: string;
}

const INDEXES: IndexSpec[] = [{ fields: ['run', 'at', 'position', 'id'] }, { fields: ['at', 'position', 'id'] }, { fields: ['message'], text: true }];

/** Ten lines over three seconds: several share a millisecond, and ids run against positions so a tie-break by id would show. */
function lines(): Line[] {
  const ats = ['00.000', '00.000', '00.000', '01.000', '01.000', '01.500', '02.000', '02.000', '02.000', '02.999'];
  const messages = [
    'Task 1: read 3 rows from [accounts]',
    'Rows WRITTEN to [Accounts] in [1.28] seconds',
    'row written',
    'connection timeout after 30 seconds',
    'Timeout: the source did not answer',
    'wrote 12 rows to [Leads]',
    'FINISHED SUCCESSFULLY in [1.28] seconds',
    'rows written, rows read',
    'Überweisung geschrieben',
    'accounts_2024 replicated',
  ];
  return ats.map((at, i) => ({
    id: `z${9 - i}`,
    run: i % 2 ? 'r1' : 'r2',
    at: `2026-01-01T00:00:${at}Z`,
    position: String(i + 1).padStart(4, '0'),
    level: i % 4,
    message: messages[i],
  }));
}

/** Time-range search over a log-like collection: text conditions, compound sorts and their cursors. */
export function readStoreSearchContract(open: () => Promise<ReadStore>): void {
  describe('time-range search', () => {
    let store: ReadStore;
    let coll: string;
    const positions = (docs: Doc[]) => docs.map((d) => Number((d as Line).position));
    const all = async (query: FindQuery, limit: number) => {
      const seen: Doc[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.find(coll, { ...query, limit, cursor });
        expect(page.items.length).toBeLessThanOrEqual(limit);
        seen.push(...page.items);
        cursor = page.next;
      } while (cursor);
      return seen;
    };

    beforeEach(async () => {
      store = await open();
      coll = `lines_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      await store.ensureCollection(coll, INDEXES);
      await store.write(lines().map((doc) => ({ collection: coll, op: 'upsert' as const, doc })));
    });
    afterEach(async () => {
      await store.dropCollection(coll);
      await store.close();
    });

    it('finds the lines that hold every word, whole and in any case', async () => {
      const search = async (text: string) => positions((await store.find(coll, { filter: { message: { $text: text } }, sort: { field: 'position', order: 1 } })).items);
      expect(await search('rows written')).toEqual([2, 8]);
      expect(await search('WRITTEN Rows')).toEqual([2, 8]);
      expect(await search('row')).toEqual([3]);
      expect(await search('timeout')).toEqual([4, 5]);
      expect(await search('[1.28] seconds')).toEqual([2, 7]);
      expect(await search('accounts')).toEqual([1, 2]);
      expect(await search('accounts_2024')).toEqual([10]);
      expect(await search('überweisung')).toEqual([9]);
      expect(await search('rows nowhere')).toEqual([]);
      expect(await search('  ,;  ')).toEqual([]);
    });

    it('splits words at symbols the way both stores do: letters, digits and _ make a word', async () => {
      const extra = { id: 'sym', run: 'r9', at: '2026-01-01T00:00:59Z', position: '0099', level: 0, message: 'paid 100€ to acme🎉done' };
      await store.write([{ collection: coll, op: 'upsert', doc: extra }]);
      const search = async (text: string) => (await store.find(coll, { filter: { message: { $text: text } } })).items.map((d) => d.id);
      expect(await search('100')).toEqual(['sym']);
      expect(await search('acme done')).toEqual(['sym']);
      expect(await search('100€')).toEqual(['sym']);
    });

    it('combines a text condition with equality and an inclusive time range', async () => {
      const { items } = await store.find(coll, {
        filter: { run: 'r1', at: { $gte: '2026-01-01T00:00:00.000Z', $lte: '2026-01-01T00:00:01.500Z' }, message: { $text: 'rows' } },
        sort: { field: 'position', order: 1 },
      });
      expect(positions(items)).toEqual([2, 6]);
    });

    it('includes both ends of a range, down to lines in the same millisecond', async () => {
      const range = (from: string, to: string) => ({ at: { $gte: `2026-01-01T00:00:${from}Z`, $lte: `2026-01-01T00:00:${to}Z` } });
      const find = async (from: string, to: string) => positions((await store.find(coll, { filter: range(from, to), sort: { field: 'position', order: 1 } })).items);
      expect(await find('00.000', '00.000')).toEqual([1, 2, 3]);
      expect(await find('01.000', '02.000')).toEqual([4, 5, 6, 7, 8, 9]);
      expect(await find('00.001', '00.999')).toEqual([]);
      expect(await find('02.999', '02.999')).toEqual([10]);
    });

    it('sorts on time, then position, in both directions, and pages through ties without gaps or repeats', async () => {
      for (const limit of [1, 2, 3, 4, 100]) {
        const desc = await all({ sort: [{ field: 'at', order: -1 }, { field: 'position', order: -1 }] }, limit);
        expect(positions(desc)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
        const asc = await all({ sort: [{ field: 'at', order: 1 }, { field: 'position', order: 1 }] }, limit);
        expect(positions(asc)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      }
    });

    it('pages a filtered compound sort with a text condition and a range', async () => {
      const query: FindQuery = {
        filter: { at: { $gte: '2026-01-01T00:00:00.000Z', $lte: '2026-01-01T00:00:02.000Z' }, message: { $text: 'rows' } },
        sort: [{ field: 'at', order: -1 }, { field: 'position', order: -1 }],
      };
      expect(positions(await all(query, 1))).toEqual([8, 6, 2, 1]);
      expect(positions(await all({ ...query, filter: { ...query.filter, run: 'r1' } }, 1))).toEqual([8, 6, 2]);
    });

    it('pages a sort with keys in opposite directions', async () => {
      const mixed = await all({ sort: [{ field: 'at', order: 1 }, { field: 'position', order: -1 }] }, 2);
      expect(positions(mixed)).toEqual([3, 2, 1, 5, 4, 6, 9, 8, 7, 10]);
    });

    it('pages over null sort values in a compound sort', async () => {
      await store.write([
        { collection: coll, op: 'upsert', doc: { id: 'n1', run: 'r3', at: '2026-01-01T00:00:01.000Z', position: null, level: 0, message: 'no position' } },
        { collection: coll, op: 'upsert', doc: { id: 'n2', run: 'r3', at: '2026-01-01T00:00:01.000Z', level: 0, message: 'no position either' } },
      ]);
      const ids = (docs: Doc[]) => docs.map((d) => d.id);
      const desc = ids(await all({ sort: [{ field: 'at', order: -1 }, { field: 'position', order: -1 }] }, 2));
      expect(desc).toEqual(['z0', 'z1', 'z2', 'z3', 'z4', 'z5', 'z6', 'n2', 'n1', 'z7', 'z8', 'z9']);
      const asc = ids(await all({ sort: [{ field: 'at', order: 1 }, { field: 'position', order: 1 }] }, 2));
      expect(asc).toEqual(['z9', 'z8', 'z7', 'n1', 'n2', 'z6', 'z5', 'z4', 'z3', 'z2', 'z1', 'z0']);
    });

    it('refuses a cursor made for another sort', async () => {
      const page = await store.find(coll, { sort: { field: 'at', order: -1 }, limit: 2 });
      await expect(store.find(coll, { sort: [{ field: 'at', order: -1 }, { field: 'position', order: -1 }], limit: 2, cursor: page.next })).rejects.toThrow(/Invalid cursor/);
    });

    it('keeps the text index in step with replaced and deleted documents', async () => {
      await store.write([
        { collection: coll, op: 'upsert', doc: { ...lines()[3], message: 'all good now' } },
        { collection: coll, op: 'delete', id: lines()[4].id },
        { collection: coll, op: 'patch', id: lines()[0].id, set: { message: 'timeout while reading' } },
      ]);
      const { items } = await store.find(coll, { filter: { message: { $text: 'timeout' } } });
      expect(positions(items)).toEqual([1]);
      expect(positions((await store.find(coll, { filter: { message: { $text: 'good' } } })).items)).toEqual([4]);
    });

    it('searches a rebuilt collection swapped in, and indexes what is written to it after', async () => {
      const rebuilt = `${coll}_next`;
      await store.ensureCollection(rebuilt, INDEXES);
      await store.write([{ collection: rebuilt, op: 'upsert', doc: { ...lines()[0], message: 'rebuilt timeout' } }]);
      await store.swap([{ from: rebuilt, to: coll }], { projection: `p_${coll}`, position: '1' });
      await store.write([{ collection: coll, op: 'upsert', doc: { ...lines()[1], message: 'later timeout' } }]);
      expect(positions((await store.find(coll, { filter: { message: { $text: 'timeout' } }, sort: { field: 'position', order: 1 } })).items)).toEqual([1, 2]);
      // The rebuilt name is free for the next rebuild, with a text index of its own.
      await store.ensureCollection(rebuilt, INDEXES);
      await store.write([{ collection: rebuilt, op: 'upsert', doc: { ...lines()[2], message: 'next timeout' } }]);
      expect(positions((await store.find(rebuilt, { filter: { message: { $text: 'timeout' } } })).items)).toEqual([3]);
      expect(positions((await store.find(coll, { filter: { message: { $text: 'timeout' } }, sort: { field: 'position', order: 1 } })).items)).toEqual([1, 2]);
      await store.dropCollection(rebuilt);
    });

    it('indexes the documents a collection already held when it gains a text index', async () => {
      const older = `${coll}_old`;
      await store.ensureCollection(older, [{ fields: ['at'] }]);
      await store.write(lines().map((doc) => ({ collection: older, op: 'upsert' as const, doc })));
      await store.ensureCollection(older, INDEXES);
      expect(positions((await store.find(older, { filter: { message: { $text: 'timeout' } }, sort: { field: 'position', order: 1 } })).items)).toEqual([4, 5]);
      await store.dropCollection(older);
    });
  });
}
