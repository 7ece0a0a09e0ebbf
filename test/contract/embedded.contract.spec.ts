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
