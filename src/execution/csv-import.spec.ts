import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startPostgres, type TestPostgres } from '../../test/support/postgres.js';
import type { Connector, Row } from './connectors/connector.js';
import { PostgresConnector } from './connectors/postgres.connector.js';
import { SqliteConnector } from './connectors/sqlite.connector.js';
import { importCsv, type ImportOptions } from './csv-import.js';

/** One real database per kind, with the DDL each spells differently. */
interface TestDb {
  connector(): Connector;
  exec(sql: string): Promise<void>;
  rows(sql: string): Promise<Row[]>;
  /** The table as stored: schema, rows, and what would change if any row were rewritten (file bytes, xmin/ctid). */
  snapshot(table: string): Promise<string>;
  serial: string;
}

function sqliteDb(dir: string): TestDb {
  const file = join(dir, `db-${Math.random().toString(36).slice(2)}.sqlite`);
  const use = <T>(work: (db: Database.Database) => T) => {
    const db = new Database(file);
    // As the connector opens it: WAL is recorded in the file, so a first open by the connector would change it.
    db.pragma('journal_mode = WAL');
    try {
      return work(db);
    } finally {
      db.close();
    }
  };
  return {
    connector: () => SqliteConnector.open(file, true),
    exec: async (sql) => use((db) => void db.exec(sql)),
    rows: async (sql) => use((db) => db.prepare(sql).all() as Row[]),
    snapshot: async (table) => {
      const dump = use((db) => JSON.stringify([db.prepare('SELECT sql FROM sqlite_master').all(), db.prepare(`SELECT rowid, * FROM "${table}" ORDER BY rowid`).all()]));
      const bytes = createHash('sha256').update(readFileSync(file)).digest('hex');
      return `${bytes} ${existsSync(`${file}-wal`)} ${dump}`;
    },
    serial: 'INTEGER PRIMARY KEY',
  };
}

function postgresDb(client: pg.Client, url: string): TestDb {
  return {
    connector: () => new PostgresConnector(url),
    exec: async (sql) => void (await client.query(sql)),
    rows: async (sql) => (await client.query(sql)).rows,
    snapshot: async (table) => JSON.stringify((await client.query(`SELECT xmin::text, ctid::text, * FROM "${table}" ORDER BY ctid`)).rows),
    serial: 'SERIAL PRIMARY KEY',
  };
}

const bytes = (text: string) => (async function* () {
  // Small chunks: values and lines are cut in the middle, as any stream may cut them.
  for (let i = 0; i < text.length; i += 7) yield Buffer.from(text.slice(i, i + 7));
})();

async function startSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-import-'));
  return { db: sqliteDb(dir), stop: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function startPostgresDb() {
  const server: TestPostgres = await startPostgres();
  const client = new pg.Client(server.url);
  await client.connect();
  const stop = async () => {
    await client.end();
    await server.stop();
  };
  return { db: postgresDb(client, server.url), stop };
}

const kinds = [
  ['SQLite', startSqlite],
  ['PostgreSQL', startPostgresDb],
] as const;

describe.each(kinds)('CSV import into %s', (_kind, start) => {
  let db: TestDb;
  let stop: () => Promise<void>;
  let table = 0;
  beforeAll(async () => ({ db, stop } = await start()), 60_000);
  afterAll(async () => stop?.());

  /** A fresh people table: id, email (no unique constraint), name, age. */
  const people = async () => {
    const name = `people_${++table}`;
    await db.exec(`CREATE TABLE ${name} (id ${db.serial}, email TEXT, name TEXT, age INTEGER)`);
    await db.exec(`INSERT INTO ${name} (email, name, age) VALUES ('ada@x', 'Ada', 36), ('linus@x', 'Linus', 28)`);
    return name;
  };
  const run = async (name: string, csv: string, more: Partial<ImportOptions> = {}) => {
    const connector = db.connector();
    try {
      return await importCsv({ connector, table: name, content: bytes(csv), kind: 'Import', keyColumns: null, batchSize: 1000, checkTypes: true, ...more });
    } finally {
      await connector.close();
    }
  };
  const all = (name: string) => db.rows(`SELECT id, email, name, age FROM ${name} ORDER BY id`);

  it('upserts by key columns that have no unique constraint, keeping the columns the file leaves out', async () => {
    const name = await people();
    const before = await db.snapshot(name);
    const outcome = await run(name, 'EMAIL,name\nada@x,Ada L.\ngrace@x,Grace\n', { keyColumns: ['email'] });
    expect(await db.snapshot(name)).not.toBe(before);
    expect(outcome).toMatchObject({ rowsRead: 2, updated: 1, inserted: 1, rowsWritten: 2, cancelled: false });
    expect(await all(name)).toEqual([
      { id: 1, email: 'ada@x', name: 'Ada L.', age: 36 },
      { id: 2, email: 'linus@x', name: 'Linus', age: 28 },
      { id: expect.any(Number), email: 'grace@x', name: 'Grace', age: null },
    ]);
  });

  it('upserts by the primary key when no key columns are given; a key given twice keeps its last line', async () => {
    const name = await people();
    const outcome = await run(name, 'id,name,age\n2,Linus T.,29\n3,Grace,45\n3,Grace H.,46\n');
    // The second line of key 3 updates the row the first inserted (SQLite), or replaces it before it is (staged).
    expect(outcome).toMatchObject({ inserted: 1, updated: expect.any(Number) });
    expect(await all(name)).toEqual([
      { id: 1, email: 'ada@x', name: 'Ada', age: 36 },
      { id: 2, email: 'linus@x', name: 'Linus T.', age: 29 },
      { id: 3, email: null, name: 'Grace H.', age: 46 },
    ]);
  });

  it('appends when the table has no key and none is given', async () => {
    const name = `events_${++table}`;
    await db.exec(`CREATE TABLE ${name} (msg TEXT, n INTEGER, ok BOOLEAN, day DATE, at TIMESTAMP, score REAL)`);
    await db.exec(`INSERT INTO ${name} (msg, n) VALUES ('old', 1)`);
    const csv = 'msg,n,ok,day,at,score\nold,1,true,2026-02-28,2026-02-28 10:11:12,1.5\n"a, ""quoted""\nline",-2,0,,2026-03-01T00:00:00Z,-3e2\n';
    expect(await run(name, csv)).toMatchObject({ inserted: 2, rowsWritten: 2 });
    const rows = await db.rows(`SELECT msg, n, ok, CAST(day AS TEXT) AS day, score FROM ${name}`);
    expect(rows.map((r) => [r.msg, r.n, r.ok === null ? null : Boolean(r.ok), r.day, r.score])).toEqual([
      ['old', 1, null, null, null],
      ['old', 1, true, '2026-02-28', 1.5],
      ['a, "quoted"\nline', -2, false, null, -300],
    ]);
  });

  it('deletes the rows whose keys are in the file, by key columns or by the primary key', async () => {
    const name = await people();
    expect(await run(name, 'email,name\nada@x,whatever\nnobody@x,\n', { kind: 'Delete', keyColumns: ['email'] })).toMatchObject({ deleted: 1, rowsWritten: 1 });
    expect((await all(name)).map((r) => r.id)).toEqual([2]);
    expect(await run(name, 'id\n2\n', { kind: 'Delete' })).toMatchObject({ deleted: 1 });
    expect(await all(name)).toEqual([]);
  });

  it('refuses a delete with nothing to match rows by', async () => {
    const name = `nokey_${++table}`;
    await db.exec(`CREATE TABLE ${name} (a TEXT)`);
    await expect(run(name, 'a\nx\n', { kind: 'Delete' })).rejects.toThrow(/no primary key and the data sync names no key columns/);
  });

  it.each([
    ['an unknown header column', 'id,name,nickname\n9,X,Y\n', /^Line 1: table people_\d+ has no column "nickname"/],
    ['a duplicate header column', 'id,name,NAME\n9,X,Y\n', /^Line 1: column "NAME" appears twice in the header$/],
    ['a wrong field count', 'id,name\n9,X\n10,Y,extra\n', /^Line 3: expected 2 fields, found 3$/],
    ['a wrong type', 'id,name,age\n9,X,1\n10,Y,old\n', /^Line 3, column age: "old" is not an integer$/],
    ['a broken quote', 'id,name\n9,X\n10,"Y\n11,Z\n', /^Line 3: invalid CSV \(Quoted field unterminated\)$/],
    ['a line count past a quoted line break', 'id,name\n9,"X\nY"\n10,Y,Z\n', /^Line 4: expected 2 fields, found 3$/],
    ['a missing key column', 'name\nX\n', /^Line 1: the header has no column email/],
  ])('leaves the table exactly as it was on %s, naming the line', async (_what, csv, message) => {
    const name = await people();
    const before = await db.snapshot(name);
    await expect(run(name, csv, _what === 'a missing key column' ? { keyColumns: ['email'] } : {})).rejects.toThrow(message);
    expect(await db.snapshot(name)).toBe(before);
  });

  it('rolls back every batch when the last row of a 5,000-row file is bad', async () => {
    const name = await people();
    const before = await db.snapshot(name);
    const lines = ['id,name,age'];
    for (let i = 1; i <= 5000; i++) lines.push(`${i},Person ${i},${i === 5000 ? 'x' : i % 90}`);
    await expect(run(name, `${lines.join('\n')}\n`)).rejects.toThrow('Line 5001, column age: "x" is not an integer');
    expect(await db.snapshot(name)).toBe(before);
  });

  it('applies a 5,000-row file in batches when it is good', async () => {
    const name = await people();
    const lines = ['id,name,age'];
    for (let i = 1; i <= 5000; i++) lines.push(`${i},Person ${i},${i % 90}`);
    const tally = { rowsRead: 0, rowsWritten: 0 };
    const progress: number[] = [];
    const onProgress = async (m: { rowsProcessed: number }) => void progress.push(m.rowsProcessed);
    expect(await run(name, `${lines.join('\n')}\n`, { tally, onProgress })).toMatchObject({ rowsRead: 5000, updated: 2, inserted: 4998 });
    expect(tally).toEqual({ rowsRead: 5000, rowsWritten: 5000 });
    expect(progress.at(-1)).toBe(5000);
    expect(await db.rows(`SELECT count(*) AS n FROM ${name}`)).toEqual([{ n: expect.anything() }]);
    expect((await all(name)).at(-1)).toEqual({ id: 5000, email: null, name: 'Person 5000', age: 5000 % 90 });
  });

  it('rolls back the rows already updated when a later statement of the apply fails', async () => {
    const name = `strict_${++table}`;
    await db.exec(`CREATE TABLE ${name} (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`);
    await db.exec(`INSERT INTO ${name} VALUES (1, 'Ada')`);
    const before = await db.snapshot(name);
    await expect(run(name, 'id,name\n1,Ada L.\n2,\n')).rejects.toThrow(/NOT NULL|not-null/);
    expect(await db.snapshot(name)).toBe(before);
  });

  it.each([
    // Papa Parse takes the line ending from its first chunk: CRLF comes in one piece.
    ['CRLF and a BOM, in one chunk', (csv: string) => [Buffer.from(`\uFEFF${csv.replace(/\n/g, '\r\n')}`)]],
    ['LF, in 7-byte chunks', bytes],
  ])('names the line and column of a NOT NULL column left empty, counting quoted line breaks and blank lines (%s)', async (_how, content) => {
    const name = `notnull_${++table}`;
    await db.exec(`CREATE TABLE ${name} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT)`);
    await db.exec(`INSERT INTO ${name} VALUES (1, 'Ada', 'x')`);
    const before = await db.snapshot(name);
    const csv = 'id,name,note\n2,Bob,"two\nlines"\n\n3,Cy,""\n4,,"""q"""\n5,Di,\n';
    await expect(run(name, csv, { batchSize: 2, content: content(csv) })).rejects.toThrow(/^Line 6, column name: no value, but the column is NOT NULL$/);
    expect(await db.snapshot(name)).toBe(before);
  });

  it('names the first line appended when a NOT NULL column with no default is not in the file', async () => {
    const name = `required_${++table}`;
    await db.exec(`CREATE TABLE ${name} (id ${db.serial}, name TEXT NOT NULL, age INTEGER)`);
    await db.exec(`INSERT INTO ${name} (name, age) VALUES ('Ada', 36)`);
    const before = await db.snapshot(name);
    await expect(run(name, 'age\n\n1\n2\n')).rejects.toThrow(/^Line 3, column name: no value, but the column is NOT NULL and has no default \(the file has no such column\)$/);
    expect(await db.snapshot(name)).toBe(before);
  });

  it('names the line and column of a row a unique index refuses', async () => {
    const name = await people();
    await db.exec(`CREATE UNIQUE INDEX ${name}_email ON ${name} (email)`);
    const before = await db.snapshot(name);
    await expect(run(name, 'id,email\n3,bob@x\n4,"multi\nline"\n5,ada@x\n6,cy@x\n')).rejects.toThrow(/^Line 5, column email: .*(UNIQUE|unique)/);
    expect(await db.snapshot(name)).toBe(before);
  });

  it('rolls back when the work in flight is interrupted (a cancel, the end of the shutdown grace)', async () => {
    const name = await people();
    const before = await db.snapshot(name);
    const connector = db.connector();
    const halt = new AbortController();
    const content = (async function* () {
      yield Buffer.from('id,name\n');
      for (let i = 1; i <= 3000; i++) yield Buffer.from(`${i},P${i}\n`);
      // The worker aborts the signal and interrupts the connector; the rest of the file never comes.
      halt.abort('cancelled');
      connector.interrupt();
      await new Promise(() => undefined);
    })();
    try {
      // Interrupted, or the session that was given up (PostgreSQL): the worker reports either as the stop.
      await expect(importCsv({ connector, table: name, content, kind: 'Import', keyColumns: null, batchSize: 1000, checkTypes: true, signal: halt.signal })).rejects.toThrow(
        /Interrupted: cancelled|Connection terminated/,
      );
    } finally {
      await connector.close();
    }
    expect(await db.snapshot(name)).toBe(before);
  });

  it('rolls back when the run stops between batches', async () => {
    const name = await people();
    const before = await db.snapshot(name);
    const lines = ['id,name'];
    for (let i = 1; i <= 3000; i++) lines.push(`${i},P${i}`);
    let batches = 0;
    const outcome = await run(name, lines.join('\n'), { shouldStop: () => ++batches >= 2 });
    expect(outcome).toMatchObject({ cancelled: true, rowsWritten: 0 });
    expect(await db.snapshot(name)).toBe(before);
  });
});
