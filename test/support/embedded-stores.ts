import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store.js';

export interface EmbeddedStores {
  events: SqliteEventStore;
  reads: SqliteReadStore;
  /** Closes both stores and removes their directory. */
  close(): Promise<void>;
}

/** A test's own embedded event store and read store, in a new temp directory named after `prefix`. */
export function openEmbeddedStores(prefix: string): EmbeddedStores {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const events = new SqliteEventStore(join(dir, 'events.db'));
  const reads = new SqliteReadStore(join(dir, 'read.db'));
  return {
    events,
    reads,
    async close() {
      await events.close();
      await reads.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
