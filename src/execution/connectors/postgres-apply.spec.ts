import pg from 'pg';
import { startPostgres, type TestPostgres } from '../../../test/support/postgres.js';
import { importCsv, type ImportOptions } from '../csv-import.js';
import { PostgresConnector } from './postgres.connector.js';

/** What PostgreSQL checks itself (widths, uuid, json, enum labels, numeric precision, constraints), named by line and column. */
describe('PostgreSQL: an upload the server refuses', () => {
  let server: TestPostgres;
  let client: pg.Client;
  let table = 0;
  beforeAll(async () => {
    server = await startPostgres();
    client = new pg.Client(server.url);
    await client.connect();
    await client.query(`CREATE TYPE mood AS ENUM ('happy', 'sad')`);
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    await server?.stop();
  });

  const snapshot = async (name: string) => JSON.stringify((await client.query(`SELECT xmin::text, ctid::text, * FROM ${name} ORDER BY ctid`)).rows);
  const run = async (name: string, csv: string, more: Partial<ImportOptions> = {}) => {
    const connector = new PostgresConnector(server.url);
    try {
      return await importCsv({ connector, table: name, content: [Buffer.from(csv)], kind: 'Import', keyColumns: null, batchSize: 1000, checkTypes: true, ...more });
    } finally {
      await connector.close();
    }
  };
  const typed = async () => {
    const name = `typed_${++table}`;
    await client.query(
      `CREATE TABLE ${name} (id integer PRIMARY KEY, note text, s smallint, n integer, u uuid, j jsonb, m mood, amount numeric(4, 2), age integer CHECK (age >= 0))`,
    );
    await client.query(`INSERT INTO ${name} (id, note, s, n, u, j, m, amount, age) VALUES (1, 'old', 1, 1, gen_random_uuid(), '{}', 'sad', 1.5, 30)`);
    return name;
  };

  it.each([
    ['a smallint out of range', 'id,s\n2,1\n3,40000\n', /^Line 3, column s: value "40000" is out of range for type smallint$/],
    ['an integer out of range (the file says only "integer")', 'id,n\n2,99999999999\n', /^Line 2, column n: value "99999999999" is out of range for type integer$/],
    ['a bad uuid after a multi-line value', 'id,note,u\n2,"a\nb",a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\n3,,abc\n', /^Line 4, column u: invalid input syntax for type uuid: "abc"$/],
    ['bad JSON', 'id,j\n2,"{""a"": 1}"\n3,{x\n', /^Line 3, column j: "\{x": invalid input syntax for type json$/],
    ['an unknown enum label', 'id,m\n2,happy\n3,purple\n', /^Line 3, column m: invalid input value for enum mood: "purple"$/],
    ['a numeric past its precision', 'id,amount\n2,12.34\n3,123.456\n', /^Line 3, column amount: "123.456": numeric field overflow$/],
    ['a CHECK constraint', 'id,note,age\n1,updated,31\n2,x,40\n3,y,-1\n', /^Line 4, column age: new row for relation "typed_\d+" violates check constraint "typed_\d+_age_check"$/],
    ['a CHECK constraint on an update', 'id,age\n1,-1\n', /^Line 2, column age: new row for relation "typed_\d+" violates check constraint/],
  ])('names the line and column of %s, and leaves the table as it was', async (_what, csv, message) => {
    const name = await typed();
    const before = await snapshot(name);
    await expect(run(name, csv)).rejects.toThrow(message);
    expect(await snapshot(name)).toBe(before);
  });

  it('finds the value in a later batch and a later statement of the staging', async () => {
    const name = await typed();
    const before = await snapshot(name);
    const lines = ['id,note,n'];
    for (let i = 2; i <= 70_000; i++) lines.push(`${i},row ${i},${i === 65_432 ? 3_000_000_000 : i}`);
    await expect(run(name, `${lines.join('\n')}\n`, { batchSize: 5000 })).rejects.toThrow(/^Line 65432, column n: value "3000000000" is out of range for type integer$/);
    expect(await snapshot(name)).toBe(before);
  }, 60_000);

  it('names the key column of a delete a foreign key refuses', async () => {
    const parent = `parent_${++table}`;
    await client.query(`CREATE TABLE ${parent} (id integer PRIMARY KEY, name text)`);
    await client.query(`CREATE TABLE child_${table} (id integer PRIMARY KEY, parent_id integer REFERENCES ${parent} (id))`);
    await client.query(`INSERT INTO ${parent} VALUES (1, 'a'), (2, 'b'), (3, 'c')`);
    await client.query(`INSERT INTO child_${table} VALUES (1, 3)`);
    const before = await snapshot(parent);
    await expect(run(parent, 'id\n1\n2\n3\n', { kind: 'Delete' })).rejects.toThrow(/^Line 4, column id: update or delete on table "parent_\d+" violates foreign key constraint .* \(Key \(id\)=\(3\) is still referenced/);
    expect(await snapshot(parent)).toBe(before);
  });

  it('finishes a COMMIT that an interrupt (a cancel) arrives during, so what it answers is what the table holds', async () => {
    const name = `committed_${++table}`;
    await client.query(`CREATE TABLE ${name} (id integer PRIMARY KEY, note text)`);
    const connector = new PostgresConnector(server.url);
    type Ask = (c: pg.Client, sql: string, params?: unknown[]) => Promise<unknown>;
    const sessions = (connector as unknown as { sessions: { ask: Ask } }).sessions;
    const ask = sessions.ask.bind(sessions);
    sessions.ask = (c, sql, params) => {
      const answer = ask(c, sql, params);
      if (sql === 'COMMIT') connector.interrupt();
      return answer;
    };
    const rows = (async function* () {
      yield [{ id: 1, note: 'a' }, { id: 2, note: 'b' }];
    })();
    try {
      const columns = [{ name: 'id', type: 'integer' as const, primaryKey: true }, { name: 'note', type: 'text' as const }];
      await expect(connector.applyAll(name, columns, rows, { mode: 'upsert', keys: null })).resolves.toEqual({ inserted: 2, updated: 0, deleted: 0 });
      expect((await client.query(`SELECT id, note FROM ${name} ORDER BY id`)).rows).toEqual([{ id: 1, note: 'a' }, { id: 2, note: 'b' }]);
    } finally {
      await connector.close();
    }
  });
});
