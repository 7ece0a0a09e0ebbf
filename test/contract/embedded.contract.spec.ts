import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewEvent } from '../../src/core/events.js';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store.js';
import { eventStoreContract } from './event-store.contract.js';
import { readStoreContract } from './read-store.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

eventStoreContract('SQLite', async () => new SqliteEventStore(join(dir, 'events.db')));
readStoreContract('SQLite', async () => new SqliteReadStore(join(dir, 'read.db')));

describe('SQLite event store: group commit', () => {
  it('fails only the append an id constraint refuses, committing the ones beside it', async () => {
    const store = new SqliteEventStore(join(dir, 'group.db'));
    const event = (id: string, type: string): NewEvent => ({ id, type, data: {}, metadata: { actor: 't', correlationId: 'c', occurredAt: new Date().toISOString(), schemaVersion: 1 } });
    const taken = randomUUID();
    await store.append('first', [event(taken, 'A')], 'no_stream');
    const made = await Promise.allSettled([
      store.append('second', [event(randomUUID(), 'B')], 'no_stream'),
      store.append('third', [event(taken, 'C')], 'no_stream'),
      store.append('fourth', [event(randomUUID(), 'D')], 'no_stream'),
    ]);
    expect(made.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.readAll({ maxCount: 10 })).map((e) => e.type)).toEqual(['A', 'B', 'D']);
    await store.close();
  });
});

describe('SQLite read store: answers kept in memory', () => {
  const docs = (n: number) => Array.from({ length: n }, (_, i) => ({ collection: 'kept', op: 'upsert' as const, doc: { id: `d${i}`, n: i, tags: ['a'] } }));

  it('reads again what another connection to the file changed', async () => {
    const file = join(dir, 'kept-two.db');
    const [server, cli] = [new SqliteReadStore(file), new SqliteReadStore(file)];
    await server.ensureCollection('kept', [{ fields: ['n'] }]);
    await server.write(docs(3));
    expect((await server.get<{ n: number } & { id: string }>('kept', 'd1'))?.n).toBe(1);
    expect((await server.find('kept', { sort: { field: 'n', order: 1 } })).items).toHaveLength(3);
    await cli.write([{ collection: 'kept', op: 'patch', id: 'd1', set: { n: 10 } }, { collection: 'kept', op: 'delete', id: 'd2' }]);
    // Another process's commit is seen from the next turn of the event loop (as the next request would).
    await new Promise((resolve) => setImmediate(resolve));
    expect((await server.get<{ n: number } & { id: string }>('kept', 'd1'))?.n).toBe(10);
    expect((await server.find('kept', { sort: { field: 'n', order: 1 } })).items.map((d) => d.id)).toEqual(['d0', 'd1']);
    await Promise.all([server.close(), cli.close()]);
  });

  it('keeps an answer read again until its collection is written, and no caller can change it', async () => {
    const store = new SqliteReadStore(join(dir, 'kept-one.db'));
    await store.ensureCollection('kept', []);
    await store.ensureCollection('other', []);
    await store.write(docs(2));
    // Read once, an answer is not kept: a search of ever new ranges would only fill memory. Under test it is
    // frozen all the same, so a caller that would change it fails at once, not only at the second read.
    const once = await store.get<{ id: string; tags: string[] }>('kept', 'd1');
    expect(() => once!.tags.push('b')).toThrow(TypeError);
    expect(await store.get('kept', 'd0')).not.toBe(await store.get('kept', 'd0'));
    const first = await store.get<{ id: string; tags: string[] }>('kept', 'd0');
    expect(await store.get('kept', 'd0')).toBe(first);
    expect(() => first!.tags.push('b')).toThrow(TypeError);
    await store.write([{ collection: 'other', op: 'upsert', doc: { id: 'x' } }]);
    expect(await store.get('kept', 'd0')).toBe(first);
    await store.write([{ collection: 'kept', op: 'patch', id: 'd0', set: { tags: ['c'] } }]);
    expect(await store.get('kept', 'd0')).toEqual({ id: 'd0', n: 0, tags: ['c'] });
    await store.close();
  });
});
