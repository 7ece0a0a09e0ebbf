import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { storeFault, type WriteFaults } from '../../core/store-fault.js';

/**
 * WAL with synchronous=FULL: a committed append survives a crash of the process and of the machine.
 * busy_timeout lets two Sluice processes share one data directory.
 */
export function openDatabase(file: string): Database.Database {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * A store's own file with its schema, then a probe write: a file that cannot be opened or written (read-only,
 * no permission) stops start-up with its path. A full disk does not: reads still answer, writes answer 507
 * (remembered in `writes`) until space is freed.
 */
export function openStoreDatabase(file: string, store: string, schema: string, writes: WriteFaults): Database.Database {
  const cannotOpen = (error: unknown) => {
    const fault = storeFault(error, store, file);
    return fault ? new Error(`Cannot open the ${store} at ${file}: ${fault.reason}`, { cause: error }) : error;
  };
  let db: Database.Database | undefined;
  try {
    db = openDatabase(file);
    db.exec(schema);
  } catch (error) {
    db?.close();
    throw cannotOpen(error);
  }
  try {
    writes.run(() => probeWrite(db));
  } catch (error) {
    if (writes.fault?.code === 'STORE.FULL') return db;
    db.close();
    throw cannotOpen(error);
  }
  return db;
}

/** The smallest real write, to learn whether the file can be written (a full disk, a read-only mount). */
export function probeWrite(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL)');
  db.prepare('INSERT OR REPLACE INTO write_probe (id, at) VALUES (1, ?)').run(new Date().toISOString());
}
