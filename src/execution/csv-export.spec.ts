import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Papa from 'papaparse';
import pg from 'pg';
import { startPostgres } from '../../test/support/postgres.js';
import { DirectoryFileStore } from '../infrastructure/files/directory-file-store.js';
import type { Connector } from './connectors/connector.js';
import { PostgresConnector } from './connectors/postgres.connector.js';
import { SqliteConnector } from './connectors/sqlite.connector.js';
import { exportCsv, type ExportOptions } from './csv-export.js';
import { importCsv } from './csv-import.js';

const collect = async (content: AsyncIterable<Uint8Array>) => {
  const chunks: Buffer[] = [];
  for await (const chunk of content) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
};

async function exported(connector: Connector, table: string, more: Partial<ExportOptions> = {}) {
  let csv = '';
  const outcome = await exportCsv({ connector, table, batchSize: 1000, write: async (content) => void (csv = await collect(content)), ...more });
  return { csv, outcome };
}

describe('CSV export', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-export-'));
    file = join(dir, 'source.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('escapes text a spreadsheet would run as a formula, and leaves numbers alone', async () => {
    const db = new Database(file);
    db.exec('CREATE TABLE cells (id INTEGER PRIMARY KEY, note TEXT, amount INTEGER, ratio REAL, ok BOOLEAN)');
    const insert = db.prepare('INSERT INTO cells (note, amount, ratio, ok) VALUES (?, ?, ?, ?)');
    for (const note of ['=1+2', '+x', '-x', '@x', '\tx', '\rx', 'plain', "'quoted", null]) insert.run(note, -5, -1.5, 1);
    db.close();
    const connector = SqliteConnector.open(file, true);
    const { csv, outcome } = await exported(connector, 'cells');
    await connector.close();
    expect(outcome).toEqual({ rowsRead: 9, rowsWritten: 9, cancelled: false });
    const rows = Papa.parse<string[]>(csv.trimEnd()).data;
    expect(rows[0]).toEqual(['id', 'note', 'amount', 'ratio', 'ok']);
    expect(rows.slice(1).map((r) => r[1])).toEqual(["'=1+2", "'+x", "'-x", "'@x", "'\tx", "'\rx", 'plain', "'quoted", '']);
    expect(rows.slice(1).every((r) => r[2] === '-5' && r[3] === '-1.5' && r[4] === '1')).toBe(true);
  });

  it('applies the escaping to the final text of every cell: base64 bytes, and numbers that are no number', async () => {
    const db = new Database(file);
    db.exec('CREATE TABLE raw (id INTEGER PRIMARY KEY, data BLOB, ratio REAL, note)');
    const insert = db.prepare('INSERT INTO raw (data, ratio, note) VALUES (?, ?, ?)');
    // Base64 starts with + from 0xF8 on. An untyped column keeps -5 a number.
    insert.run(Buffer.from([0xf8, 0, 0]), -Infinity, -5n);
    insert.run(Buffer.from([0xfb, 0xef, 0xbe]), -1e-7, '-5');
    insert.run(Buffer.from('ABC'), Infinity, null);
    db.close();
    const connector = SqliteConnector.open(file, true);
    const { csv } = await exported(connector, 'raw');
    await connector.close();
    expect(csv).toBe("id,data,ratio,note\n1,'+AAA,'-Infinity,-5\n2,'++++,-1e-7,'-5\n3,QUJD,Infinity,\n");
  });

  it('round-trips 10,000 rows, in batches, through an import into an empty copy', async () => {
    const db = new Database(file);
    db.exec('CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT, score REAL, born DATE, note TEXT)');
    db.exec('CREATE TABLE copy (id INTEGER PRIMARY KEY, name TEXT, score REAL, born DATE, note TEXT)');
    const insert = db.prepare('INSERT INTO big VALUES (?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (let i = 1; i <= 10_000; i++) insert.run(i, `Name ${i}, "the ${i}th"`, i / 8, `20${String(i % 100).padStart(2, '0')}-01-31`, i % 3 ? `multi\nline ${i}` : null);
    })();
    db.close();
    const connector = SqliteConnector.open(file, true);
    const progress: number[] = [];
    const { csv, outcome } = await exported(connector, 'big', { onProgress: async (m) => void progress.push(m.rowsProcessed) });
    expect(outcome.rowsWritten).toBe(10_000);
    expect(progress.at(-1)).toBe(10_000);
    expect(await importCsv({ connector, table: 'copy', content: [Buffer.from(csv)], kind: 'Import', keyColumns: null, batchSize: 1000, checkTypes: true })).toMatchObject({ inserted: 10_000 });
    await connector.close();
    const check = new Database(file);
    expect(check.prepare('SELECT * FROM copy ORDER BY id').all()).toEqual(check.prepare('SELECT * FROM big ORDER BY id').all());
    check.close();
  });

  it('stores no file when the read fails part-way, or the run stops between batches', async () => {
    const db = new Database(file);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    db.exec('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) INSERT INTO t SELECT i FROM n');
    db.close();
    const files = new DirectoryFileStore(join(dir, 'store'));
    const write = (content: AsyncIterable<Uint8Array>) => files.put('out.csv', content, { contentType: 'text/csv' });
    const sqlite = SqliteConnector.open(file, true);
    const failing: Connector = Object.create(sqlite);
    failing.read = (request) =>
      (async function* () {
        let n = 0;
        for await (const batch of sqlite.read(request)) {
          if (++n === 3) throw new Error('disk went away');
          yield batch;
        }
      })();
    await expect(exportCsv({ connector: failing, table: 't', batchSize: 1000, write })).rejects.toThrow('disk went away');
    let batches = 0;
    expect(await exportCsv({ connector: sqlite, table: 't', batchSize: 1000, write, shouldStop: () => ++batches === 2 })).toMatchObject({ cancelled: true, rowsRead: 2000 });
    expect(await files.list('')).toEqual([]);
    await exportCsv({ connector: sqlite, table: 't', batchSize: 1000, write });
    expect(await files.stat('out.csv')).toMatchObject({ contentType: 'text/csv', size: `id\n${Array.from({ length: 3000 }, (_, i) => `${i + 1}\n`).join('')}`.length });
    await sqlite.close();
  });

  it('leaves PostgreSQL numbers that arrive as text (numeric, bigint) unescaped, and escapes text', async () => {
    const server = await startPostgres();
    const client = new pg.Client(server.url);
    try {
      await client.connect();
      await client.query(`CREATE TABLE money (amount NUMERIC(10, 2), big BIGINT, note TEXT, at TIMESTAMPTZ)`);
      await client.query(`INSERT INTO money VALUES (-5, -9007199254740993, '-x', '2026-01-02T03:04:05Z'), (NULL, 1, '@x', NULL)`);
      const connector = new PostgresConnector(server.url);
      const { csv } = await exported(connector, 'money');
      await connector.close();
      expect(csv).toBe("amount,big,note,at\n-5.00,-9007199254740993,'-x,2026-01-02T03:04:05.000Z\n,1,'@x,\n");
    } finally {
      await client.end();
      await server.stop();
    }
  }, 60_000);
});
