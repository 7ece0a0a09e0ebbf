import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Column } from './connector.js';
import { Interrupted } from './limits.js';
import { SqliteConnector } from './sqlite.connector.js';

describe('SQLite: writing a replication batch', () => {
  let dir: string;
  let file: string;
  const options = { primaryKey: [], autoTruncate: false, schema: null };
  const columns: Column[] = [
    { name: 'id', type: 'integer', primaryKey: true },
    { name: 'name', type: 'text' },
    { name: 'score', type: 'real' },
    { name: 'ok', type: 'boolean' },
    { name: 'raw', type: 'blob' },
  ];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-sqlite-write-'));
    file = join(dir, 'db.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const stored = () => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare('SELECT id, name, typeof(name) AS nameType, score, ok, raw FROM people ORDER BY id').all();
    } finally {
      db.close();
    }
  };
  const open = async () => {
    const sqlite = SqliteConnector.open(file, false);
    const { primaryKey } = await sqlite.prepare('people', columns, { drop: false, truncate: false, alter: false, schema: null });
    return { sqlite, options: { ...options, primaryKey } };
  };

  it("waits for another connection's write lock to create its table, without holding up the event loop", async () => {
    const other = new Database(file);
    other.pragma('journal_mode = WAL');
    other.exec('BEGIN IMMEDIATE');
    const opening = open();
    // SQLite's own busy wait would sleep this thread for the whole 5 s, and the lock would never be released.
    await new Promise((resolve) => setTimeout(resolve, 200));
    other.exec('COMMIT');
    other.close();
    const { sqlite } = await opening;
    await sqlite.close();
    expect(stored()).toEqual([]);
  });

  it("leaves a database it only reads in the journal mode it had, and puts one it writes in WAL", async () => {
    const user = new Database(file);
    user.exec("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, score REAL, ok BOOLEAN, raw BLOB); INSERT INTO people (id, name) VALUES (1, 'Ada')");
    user.close();
    const journalMode = () => {
      const db = new Database(file, { readonly: true });
      try {
        return db.pragma('journal_mode', { simple: true });
      } finally {
        db.close();
      }
    };
    const source = SqliteConnector.open(file, true);
    const read = [];
    for await (const batch of source.read({ table: 'people', columns: [{ name: 'name', as: 'name' }], batchSize: 10 })) read.push(...batch);
    await source.close();
    expect(read).toEqual([{ name: 'Ada' }]);
    expect(journalMode()).toBe('delete');
    const { sqlite, options } = await open();
    await sqlite.write('people', columns, [{ id: 2, name: 'Grace', score: null, ok: null, raw: null }], options);
    await sqlite.close();
    expect(journalMode()).toBe('wal');
  });

  it('stores every value as it was given, the batch committed when write resolves', async () => {
    const { sqlite, options } = await open();
    const rows = [
      { id: 1, name: 'Ada', score: 1.5, ok: true, raw: Buffer.from([1, 2, 3]) },
      { id: 2, name: '', score: -0.1, ok: false, raw: null },
      { id: 3, name: 'Zoë 🦀 "quoted", with a comma', score: null, ok: null, raw: undefined },
      { id: 4, name: '42', score: 9007199254740993n, ok: 1, raw: Buffer.alloc(0) },
    ];
    await sqlite.write('people', columns, rows, options);
    expect(stored()).toEqual([
      { id: 1, name: 'Ada', nameType: 'text', score: 1.5, ok: 1, raw: Buffer.from([1, 2, 3]) },
      { id: 2, name: '', nameType: 'text', score: -0.1, ok: 0, raw: null },
      { id: 3, name: 'Zoë 🦀 "quoted", with a comma', nameType: 'text', score: null, ok: null, raw: null },
      { id: 4, name: '42', nameType: 'text', score: 9007199254740992, ok: 1, raw: Buffer.alloc(0) },
    ]);
    await sqlite.close();
  });

  it('upserts by the primary key, many rows a statement', async () => {
    const { sqlite, options } = await open();
    const rows = (from: number, name: string) => Array.from({ length: 1200 }, (_, i) => ({ id: from + i, name, score: i, ok: true, raw: null }));
    await sqlite.write('people', columns, rows(1, 'first'), options);
    await sqlite.write('people', columns, rows(601, 'second'), options);
    const all = stored() as Array<{ id: number; name: string }>;
    expect(all).toHaveLength(1800);
    expect(all.filter((r) => r.name === 'second').map((r) => r.id)).toEqual(Array.from({ length: 1200 }, (_, i) => 601 + i));
    await sqlite.close();
  });

  it("rejects a batch SQLite refuses with SQLite's message, and keeps none of it", async () => {
    const { sqlite } = await open();
    const rows = [
      { id: 1, name: 'Ada', score: 1, ok: true, raw: null },
      { id: 1, name: 'Bob', score: 2, ok: true, raw: null },
    ];
    await expect(sqlite.write('people', columns, rows, options)).rejects.toThrow('UNIQUE constraint failed: people.id');
    expect(stored()).toEqual([]);
    await sqlite.close();
  });

  it('after an interrupt, writes no more and closes', async () => {
    const { sqlite, options } = await open();
    await sqlite.write('people', columns, [{ id: 1, name: 'Ada', score: 1, ok: true, raw: null }], options);
    sqlite.interrupt();
    await expect(sqlite.write('people', columns, [{ id: 2, name: 'Bob', score: 1, ok: true, raw: null }], options)).rejects.toBeInstanceOf(Interrupted);
    await sqlite.close();
    expect(stored()).toHaveLength(1);
  });
});
