import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store.js';
import { eventStoreContract } from './event-store.contract.js';
import { readStoreContract } from './read-store.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

eventStoreContract('SQLite', async () => new SqliteEventStore(join(dir, 'events.db')));
readStoreContract('SQLite', async () => new SqliteReadStore(join(dir, 'read.db')));
