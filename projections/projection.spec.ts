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
