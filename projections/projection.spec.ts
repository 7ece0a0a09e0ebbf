import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '../src/core/events.js';
import { SqliteReadStore } from '../src/infrastructure/sqlite/sqlite-read-store.js';
import { collectionsOf, type Projection, ProjectionTx } from './projection.js';

const DOCS = 'grouped_docs';

/** `Put` writes a document into a group; `DropGroup` deletes every document of the groups it names, then puts `then`. */
const grouped: Projection = {
  name: 'grouped',
  collections: { [DOCS]: [{ fields: ['group'] }] },
  async apply(event, tx) {
    const data = event.data as { id: string; group: string; groups: string[]; then?: { id: string; group: string } };
    if (event.type === 'Put') await tx.put(DOCS, { id: data.id, group: data.group });
    if (event.type !== 'DropGroup') return;
    await tx.deleteWhere(DOCS, 'group', data.groups);
    if (data.then) await tx.put(DOCS, data.then);
  },
};

let position = 0;
const recorded = (type: string, data: object): RecordedEvent => ({
  id: `e${++position}`,
  stream: 'group-x',
  revision: position,
  position: String(position),
  type,
  data,
  metadata: { actor: 'test', correlationId: 'c', occurredAt: '2026-01-01T00:00:00Z', schemaVersion: 1 },
});
const put = (id: string, group: string) => recorded('Put', { id, group });
const drop = (...groups: string[]) => recorded('DropGroup', { groups });
const dropThenPut = (groups: string[], id: string, group: string) => recorded('DropGroup', { groups, then: { id, group } });

describe('ProjectionTx.deleteWhere', () => {
  let dir: string;
  let store: SqliteReadStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-tx-'));
    store = new SqliteReadStore(join(dir, 'read.db'));
    for (const [name, indexes] of Object.entries(collectionsOf(grouped))) await store.ensureCollection(name, indexes);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function batch(events: RecordedEvent[]): Promise<ProjectionTx> {
    const tx = new ProjectionTx(store, grouped);
    for (const event of events) await tx.apply(event);
    return tx;
  }
  const ids = async () => (await store.find(DOCS)).items.map((d) => `${d.id}:${d.group}`);

  it('deletes the matching documents the batch holds and those stored, and keeps a match put after it', async () => {
    await store.write((await batch([put('s1', 'g'), put('s2', 'h'), put('s3', 'k')])).writes());
    // s3 is read (unchanged) before the delete, s1 only after it: the batch sees both gone.
    const tx = new ProjectionTx(store, grouped);
    await tx.get(DOCS, 's3');
    for (const event of [put('a', 'g'), put('b', 'h'), put('s2', 'g'), drop('g', 'k'), put('c', 'g')]) await tx.apply(event);
    expect(await tx.get(DOCS, 's1')).toBeNull();
    expect(await tx.get(DOCS, 's3')).toBeNull();
    expect(await tx.get(DOCS, 'c')).toEqual({ id: 'c', group: 'g' });
    await store.write(tx.writes());
    expect(await ids()).toEqual(['b:h', 'c:g']);
  });

  it('keeps a document put again after the delete, by the event that deleted it or a later one', async () => {
    await store.write((await batch([put('s1', 'g'), put('s2', 'g'), put('s3', 'g')])).writes());
    await store.write((await batch([put('a', 'g'), dropThenPut(['g'], 's3', 'g'), put('a', 'g'), put('s1', 'g')])).writes());
    expect(await ids()).toEqual(['a:g', 's1:g', 's3:g']);
  });

  it('puts the bulk delete before the upserts of its collection', async () => {
    const writes = (await batch([put('a', 'g'), drop('g'), put('c', 'g')])).writes();
    const ops = writes.filter((w) => w.collection === DOCS).map((w) => (w.op === 'upsert' ? `upsert ${w.doc.id}` : w.op));
    expect(ops).toEqual(['deleteWhere', 'delete', 'upsert c']);
    expect(writes.find((w) => w.op === 'deleteWhere')).toMatchObject({ op: 'deleteWhere', filter: { group: { $in: ['g'] } } });
  });
});

const RANKED = 'ranked_docs';

/** Documents with a group and a rank: `Put` writes one, `Rank` changes a rank, `Remove` deletes one, `DropGroup` its groups. */
const ranked: Projection = {
  name: 'ranked',
  collections: { [RANKED]: [{ fields: ['group', 'rank'] }] },
  async apply(event, tx) {
    const data = event.data as { id: string; group: string; rank: number; groups: string[] };
    if (event.type === 'Put') await tx.put(RANKED, { id: data.id, group: data.group, rank: data.rank });
    if (event.type === 'Rank') await tx.update(RANKED, data.id, (doc) => ({ ...doc, rank: data.rank }));
    if (event.type === 'Remove') await tx.delete(RANKED, data.id);
    if (event.type === 'DropGroup') await tx.deleteWhere(RANKED, 'group', data.groups);
  },
};

describe('ProjectionTx.find', () => {
  let dir: string;
  let store: SqliteReadStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-tx-find-'));
    store = new SqliteReadStore(join(dir, 'read.db'));
    for (const [name, indexes] of Object.entries(collectionsOf(ranked))) await store.ensureCollection(name, indexes);
    const tx = new ProjectionTx(store, ranked);
    for (const [id, group, rank] of [['a', 'g', 1], ['b', 'g', 2], ['c', 'g', 3], ['d', 'h', 2], ['e', 'g', 5]] as const) await tx.apply(recorded('Put', { id, group, rank }));
    await store.write(tx.writes());
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ids = (docs: Array<{ id: string; rank?: unknown }>) => docs.map((d) => `${d.id}:${d.rank}`);

  it('finds stored documents by equalities and ranges', async () => {
    const tx = new ProjectionTx(store, ranked);
    expect(ids(await tx.find(RANKED, { group: 'g', rank: { $gte: 2, $lt: 5 } }))).toEqual(['b:2', 'c:3']);
    expect(ids(await tx.find(RANKED, { group: 'g', rank: { $gt: 2, $lte: 5 } }))).toEqual(['c:3', 'e:5']);
    expect(ids(await tx.find(RANKED, { rank: 2 }))).toEqual(['b:2', 'd:2']);
  });

  it("sees the batch's own writes over the stored documents: changed, deleted, created, bulk-deleted", async () => {
    const tx = new ProjectionTx(store, ranked);
    for (const event of [recorded('Rank', { id: 'c', rank: 0 }), recorded('Remove', { id: 'b' }), recorded('Put', { id: 'f', group: 'g', rank: 4 }), recorded('Rank', { id: 'a', rank: 3 })]) {
      await tx.apply(event);
    }
    expect(ids(await tx.find(RANKED, { group: 'g', rank: { $gte: 2, $lt: 5 } }))).toEqual(['a:3', 'f:4']);
    await tx.apply(recorded('DropGroup', { groups: ['g'] }));
    expect(await tx.find(RANKED, { group: 'g' })).toEqual([]);
    expect(ids(await tx.find(RANKED, { rank: { $gte: 0 } }))).toEqual(['d:2']);
  });

  it('refuses conditions it cannot check against the batch', async () => {
    const tx = new ProjectionTx(store, ranked);
    await expect(tx.find(RANKED, { group: { $in: ['g'] } })).rejects.toThrow(/equalities and ranges only/);
  });
});
