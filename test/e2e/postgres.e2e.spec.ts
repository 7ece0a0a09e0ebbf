import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { Harness } from './app.harness.js';

const V2 = '/api.rsc/v2';

describe('PostgreSQL connector against a real server (e2e)', () => {
  let server: TestPostgres;
  let h: Harness;
  let client: pg.Client;

  beforeAll(async () => {
    server = await startPostgres();
    client = new pg.Client(server.url);
    await client.connect();
    h = await new Harness().start();
  });
  afterAll(async () => {
    await h?.destroy();
    await client?.end();
    await server?.stop();
  });

  it('replicates sqlite → postgres, creating the table from the source types, then upserts by key', async () => {
    const file = join(h.files, 'crm.db');
    const db = new Database(file);
    db.exec(`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, balance REAL, vip BOOLEAN, joined DATETIME);
             INSERT INTO customers VALUES (1, 'Ada', 12.5, 1, '2026-01-02T03:04:05.000Z'), (2, 'Linus', -3, 0, NULL);`);
    db.close();
    const from = await h.connection('pg', 'crm', 'sqlite', { path: file });
    const into = await h.connection('pg', 'dw', 'postgres', { url: server.url });
    const { job, run } = await h.runJob('pg', {
      name: 'to-postgres',
      source_connection_id: from,
      destination_connection_id: into,
      destination_schema: 'staging',
      queries: ['REPLICATE [customers]'],
    });
    expect(run).toMatchObject({ status: 'succeeded', rows_written: 2 });
    const { rows } = await client.query('SELECT id, name, balance, vip, joined FROM staging.customers ORDER BY id');
    expect(rows).toEqual([
      { id: '1', name: 'Ada', balance: 12.5, vip: true, joined: new Date('2026-01-02T03:04:05.000Z') },
      { id: '2', name: 'Linus', balance: -3, vip: false, joined: null },
    ]);
    const types = await client.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'staging' AND table_name = 'customers' ORDER BY ordinal_position`);
    expect(types.rows.map((r) => r.data_type)).toEqual(['bigint', 'text', 'double precision', 'boolean', 'timestamp with time zone']);

    const change = new Database(file);
    change.exec("UPDATE customers SET name = 'Ada L.' WHERE id = 1");
    change.close();
    const again = await h.waitForRun(job.id, (await h.post(`${V2}/jobs/${job.id}/execute`).expect(202)).body.id);
    expect(again.status).toBe('succeeded');
    const after = await client.query('SELECT id, name FROM staging.customers ORDER BY id');
    expect(after.rows).toEqual([
      { id: '1', name: 'Ada L.' },
      { id: '2', name: 'Linus' },
    ]);
  });

  it('replicates postgres → csv with a WHERE clause and an incremental column', async () => {
    await client.query(`CREATE TABLE orders (id SERIAL PRIMARY KEY, customer TEXT, total NUMERIC(10,2), placed DATE);
                        INSERT INTO orders (customer, total, placed) VALUES ('Ada', 10.00, '2026-01-01'), ('Linus', 99.90, '2026-01-02'), ('Ada', 5.25, '2026-01-03');`);
    const from = await h.connection('pg2', 'dw', 'postgres', { url: server.url });
    const dir = join(h.files, 'exports');
    const into = await h.connection('pg2', 'exports', 'csv', { path: dir });
    const { job, run } = await h.runJob('pg2', {
      name: 'to-csv',
      source_connection_id: from,
      destination_connection_id: into,
      queries: ["REPLICATE [ada_orders] SELECT id, total, placed FROM orders WHERE customer = 'Ada'"],
      incremental_column: 'id',
    });
    expect(run).toMatchObject({ status: 'succeeded', rows_written: 2 });
    expect(readFileSync(join(dir, 'ada_orders.csv'), 'utf8')).toBe('id,total,placed\n1,10.00,2026-01-01\n3,5.25,2026-01-03\n');
    await client.query(`INSERT INTO orders (customer, total, placed) VALUES ('Ada', 1.00, '2026-01-04'), ('Linus', 2.00, '2026-01-05')`);
    const next = await h.waitForRun(job.id, (await h.post(`${V2}/jobs/${job.id}/execute`).expect(202)).body.id);
    expect(next).toMatchObject({ status: 'succeeded', rows_written: 1 });
    expect(readFileSync(join(dir, 'ada_orders.csv'), 'utf8')).toBe('id,total,placed\n1,10.00,2026-01-01\n3,5.25,2026-01-03\n4,1.00,2026-01-04\n');
  });

  it('truncates strings to the destination column size with Auto_Truncate_Strings', async () => {
    await client.query('CREATE TABLE short_names (id BIGINT PRIMARY KEY, name VARCHAR(4))');
    const from = await h.connection('pg3', 'files', 'csv', { path: join(h.files, 'names') });
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(h.files, 'names'), { recursive: true });
    writeFileSync(join(h.files, 'names', 'short_names.csv'), 'id,name\n1,Alexandra\n2,Bo\n');
    const into = await h.connection('pg3', 'dw', 'postgres', { url: server.url });
    const body = { source_connection_id: from, destination_connection_id: into, queries: ['REPLICATE [short_names]'] };
    const { run } = await h.runJob('pg3', { name: 'strict', ...body });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/value too long for type character varying\(4\)/);
    const { run: truncated } = await h.runJob('pg3', { name: 'lenient', auto_truncate_strings: true, ...body });
    expect(truncated.status).toBe('succeeded');
    expect((await client.query('SELECT name FROM short_names ORDER BY id')).rows.map((r) => r.name)).toEqual(['Alex', 'Bo']);
  });

  it('fails with a message a person can act on when the server is unreachable', async () => {
    const from = await h.connection('pg4', 'gone', 'postgres', { url: 'postgresql://sluice@127.0.0.1:1/postgres' });
    const into = await h.connection('pg4', 'out', 'csv', { path: join(h.files, 'gone') });
    const { run } = await h.runJob('pg4', { name: 'unreachable', source_connection_id: from, destination_connection_id: into, queries: ['REPLICATE [x]'] });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/PostgreSQL at postgresql:\/\/127\.0\.0\.1:1\/postgres is unreachable \(ECONNREFUSED\)/);
  });
});
