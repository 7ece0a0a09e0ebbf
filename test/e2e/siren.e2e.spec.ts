import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { datasourceConnectionId } from '../../src/ingestions/ingestion.model.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { Harness, TOKEN } from './app.harness.js';

const S = '/_siren/connector';
const JOBS = `${S}/jobs`;
const PG_PASSWORD = 'siren-pg-secret-42';
const USER_PASSWORD = 'siren-user-password';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const INCREMENTAL_QUERY = 'SELECT * FROM events {{#max_primary_key}}WHERE id > {{max_primary_key}}{{/max_primary_key}}';

type Status = {
  version: number;
  id: string;
  is_running: boolean;
  is_aborting?: boolean;
  start_time: number;
  end_time?: number;
  infos: string;
  error?: string[];
  state: string;
  count: number;
  last_id?: string;
};
type Hit = { _id: string; _source: { ingestion: Status } };

/** A status check that shows the body when the status is another (supertest's own shows only the status). */
const is = (status: number) => (res: { status: number; text: string }) => {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text}`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const basic = (login: string, password: string) => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
/** An Elasticsearch error body: one root cause of the same type and reason. */
const esError = (status: number, type: string, reason: string | RegExp) => {
  const r = typeof reason === 'string' ? reason : expect.stringMatching(reason);
  return { error: { root_cause: [{ type, reason: r }], type, reason: r }, status };
};

describe('Siren Federate: datasources, ingestions and the job API (e2e)', () => {
  let h: Harness;
  let server: TestPostgres;
  let client: pg.Client;
  let jdbcUrl: string;

  const as = (auth: string, method: 'get' | 'put' | 'post' | 'delete', path: string) => h.raw()[method](path).set('Authorization', auth);
  const admin = (method: 'get' | 'put' | 'post' | 'delete', path: string, body?: object) => {
    const req = as(`Bearer ${TOKEN}`, method, path);
    return body ? req.send(body) : req;
  };
  const status = async (id: string) => (await admin('get', `${JOBS}/ingestion/${id}`).expect(is(200))).body.status as Status;
  const ingest = (id: string, fields: object) => admin('put', `${S}/ingestion/${id}`, { ingest: { enable_scheduler: false, ...fields } }).expect(is(201));

  /** Polls an ingestion's status until `ready` holds for it (no fixed sleeps: a deadline). */
  async function statusUntil(id: string, ready: (s: Status) => boolean, timeoutMs = 20_000): Promise<Status> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await admin('get', `${JOBS}/ingestion/${id}`);
      if (res.status === 200 && ready(res.body.status)) return res.body.status;
      if (Date.now() > deadline) throw new Error(`Ingestion ${id} is still ${JSON.stringify(res.body)}`);
      await sleep(50);
    }
  }
  const finished = (id: string) => statusUntil(id, (s) => !s.is_running);

  /** Starts an execution and answers its final status. */
  async function runToEnd(id: string): Promise<Status> {
    const started = (await admin('post', `${S}/ingestion/${id}/_run`).expect(is(200))).body;
    expect(started).toMatchObject({ _id: id, type: 'ingestion', found: true, status: { version: 1, id, is_running: true, state: 'running', infos: 'The job is running.' } });
    return finished(id);
  }

  const embedded = <T>(sql: string): T[] => {
    const db = new Database(join(h.dataDir, 'ingestions.sqlite'), { readonly: true });
    try {
      return db.prepare(sql).all() as T[];
    } finally {
      db.close();
    }
  };
  const search = async (query: string) => (await admin('get', `${JOBS}/_search?${query}`).expect(is(200))).body.hits as { total: number; hits: Hit[] };

  beforeAll(async () => {
    server = await startPostgres({ password: PG_PASSWORD });
    client = new pg.Client(server.url);
    await client.connect();
    await client.query(`CREATE TABLE events (id BIGINT PRIMARY KEY, name TEXT NOT NULL, amount NUMERIC(8,2));
                        INSERT INTO events SELECT g, 'event-' || g, g * 1.5 FROM generate_series(1, 5) g;
                        CREATE TABLE slow_source AS SELECT g::bigint AS id, 'row-' || g AS payload FROM generate_series(1, 100000) g;
                        -- a row every 2 ms: an execution over this table runs for minutes unless aborted
                        CREATE FUNCTION slowly(v BIGINT) RETURNS BIGINT LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.002); RETURN v; END $$;`);
    const { port } = new URL(server.url);
    jdbcUrl = `jdbc:postgresql://127.0.0.1:${port}/postgres`;
    h = await new Harness().start();
  }, 60_000);
  afterAll(async () => {
    await h?.destroy();
    await client?.end();
    await server?.stop();
  });

  describe('datasources', () => {
    it('creates (201) then replaces (200) a JDBC datasource, and shows it with its password masked', async () => {
      const body = { jdbc: { url: jdbcUrl, username: 'nobody', password: 'first-password' } };
      expect((await admin('put', `${S}/datasource/pg`, body).expect(is(201))).body).toEqual({ _id: 'pg', result: 'created' });
      const replaced = await admin('put', `${S}/datasource/pg`, { jdbc: { url: jdbcUrl, username: 'sluice', password: PG_PASSWORD } }).expect(is(200));
      expect(replaced.body).toEqual({ _id: 'pg', result: 'updated' });
      const got = await admin('get', `${S}/datasource/pg`).expect(is(200));
      expect(got.body).toEqual({ _id: 'pg', found: true, _source: { jdbc: { url: jdbcUrl, username: 'sluice', password: '****' } } });
      expect(got.text).not.toContain(PG_PASSWORD);
      // sealed in the event log too: the datasource's stream has its create and replace, neither password in clear
      const events = await h.events(`connection-${datasourceConnectionId('pg')}`);
      expect(events.map((e) => e.type)).toEqual(['ConnectionCreated', 'ConnectionUpdated']);
      expect(JSON.stringify(events)).not.toMatch(/first-password|siren-pg-secret/);
    });

    it('answers 404 with found: false for an unknown datasource, and deletes one (then 404)', async () => {
      expect((await admin('get', `${S}/datasource/nope`).expect(is(404))).body).toEqual({ _id: 'nope', found: false });
      await admin('put', `${S}/datasource/scratch`, { jdbc: { url: `jdbc:sqlite:${join(h.files, 'scratch.db')}` } }).expect(is(201));
      expect((await admin('get', `${S}/datasource/scratch`).expect(is(200))).body._source).toEqual({ jdbc: { url: `jdbc:sqlite:${join(h.files, 'scratch.db')}` } });
      expect((await admin('delete', `${S}/datasource/scratch`).expect(is(200))).body).toEqual({ _id: 'scratch', result: 'deleted' });
      expect((await admin('get', `${S}/datasource/scratch`).expect(is(404))).body).toEqual({ _id: 'scratch', found: false });
      expect((await admin('delete', `${S}/datasource/scratch`).expect(is(404))).body).toEqual({ _id: 'scratch', result: 'not_found' });
    });

    it('refuses bad bodies with 400 in Elasticsearch\'s shape, writing nothing', async () => {
      const bad = async (id: string, body: object, reason: RegExp) => {
        const res = await admin('put', `${S}/datasource/${id}`, body).expect(is(400));
        expect(res.body).toEqual(esError(400, 'illegal_argument_exception', reason));
        await admin('get', `${S}/datasource/${id}`).expect(is(404));
      };
      await bad('bad1', { jdbc: { url: jdbcUrl }, extra: 1 }, /unknown field \[extra\]/);
      await bad('bad2', { jdbc: { url: jdbcUrl, user: 'x' } }, /unknown field \[user\]/);
      await bad('bad3', { jdbc: { url: 'jdbc:mysql://db:3306/shop' } }, /jdbc:mysql:\/\/db:3306\/shop.*not supported/);
      await bad('bad4', { jdbc: { username: 'x' } }, /\[jdbc\.url\] is required/);
    });
  });

  describe('credentials and roles', () => {
    it('answers 401 in Elasticsearch\'s shape without a credential or with a wrong one', async () => {
      for (const req of [h.raw().get(`${S}/datasource/pg`), as('Bearer not-a-token', 'get', `${JOBS}/ingestion`), as(basic('nobody', 'wrong-password'), 'get', `${S}/datasource/pg`)]) {
        const res = await req.expect(is(401));
        expect(res.body).toEqual(esError(401, 'security_exception', /.+/));
        expect(res.headers['www-authenticate']).toMatch(/Basic realm=/);
      }
    });

    it('takes a Sluice user\'s login and password as HTTP Basic, and a Viewer may read but not write (403)', async () => {
      await h.post('/v1/users', { login: 'siren-viewer', password: USER_PASSWORD, roles: ['Viewer'] }).expect(is(201));
      const viewer = basic('siren-viewer', USER_PASSWORD);
      expect((await as(viewer, 'get', `${S}/datasource/pg`).expect(is(200))).body._source.jdbc.password).toBe('****');
      const refused = await as(viewer, 'put', `${S}/datasource/viewer-made`).send({ jdbc: { url: jdbcUrl } }).expect(is(403));
      expect(refused.body).toEqual(esError(403, 'security_exception', /Administrator/));
      await admin('get', `${S}/datasource/viewer-made`).expect(is(404));
      await as(viewer, 'put', `${S}/ingestion/viewer-made`).send({ ingest: { datasource: 'pg', query: 'SELECT 1 AS id', target: 't' } }).expect(is(403));
      await as(viewer, 'post', `${S}/ingestion/viewer-made/_run`).expect(is(403));
      await as(viewer, 'post', `${JOBS}/ingestion/viewer-made/_abort`).expect(is(403));
      expect((await as(viewer, 'get', `${JOBS}/_search`).expect(is(200))).body).toEqual({ hits: { total: 0, hits: [] } });
    });
  });

  describe('ingestions', () => {
    it('creates (201), replaces (200), shows (GET) and deletes an ingestion', async () => {
      const body = {
        datasource: 'pg',
        query: INCREMENTAL_QUERY,
        batch_size: 500,
        schedule: '0 0 3 1 1 ?',
        enable_scheduler: true,
        target: 'events_hourly',
        pk_field: 'id',
        strategy: 'INCREMENTAL',
        description: 'Events, once a year',
      };
      expect((await admin('put', `${S}/ingestion/shown`, { ingest: body }).expect(is(201))).body).toEqual({ _id: 'shown', result: 'created' });
      expect((await admin('get', `${S}/ingestion/shown`).expect(is(200))).body).toEqual({ _id: 'shown', found: true, _source: { ingest: body } });
      const replaced = { ...body, batch_size: 10, enable_scheduler: false, description: 'Paused' };
      expect((await admin('put', `${S}/ingestion/shown`, { ingest: replaced }).expect(is(200))).body).toEqual({ _id: 'shown', result: 'updated' });
      expect((await admin('get', `${S}/ingestion/shown`).expect(is(200))).body._source.ingest).toEqual(replaced);
      // the datasource it reads cannot be deleted from under it
      const inUse = await admin('delete', `${S}/datasource/pg`).expect(is(409));
      expect(inUse.body).toEqual(esError(409, 'status_exception', 'Datasource [pg] is used by ingestion(s) "shown"; change or delete them first'));

      expect((await admin('delete', `${S}/ingestion/shown`).expect(is(200))).body).toEqual({ _id: 'shown', result: 'deleted' });
      expect((await admin('get', `${S}/ingestion/shown`).expect(is(404))).body).toEqual({ _id: 'shown', found: false });
      expect((await admin('delete', `${S}/ingestion/shown`).expect(is(404))).body).toEqual({ _id: 'shown', result: 'not_found' });
      expect((await admin('get', `${S}/ingestion/never-made`).expect(is(404))).body).toEqual({ _id: 'never-made', found: false });
      expect((await admin('post', `${S}/ingestion/never-made/_run`).expect(is(404))).body).toEqual(esError(404, 'resource_not_found_exception', 'Ingestion [never-made] not found'));
      expect((await admin('get', `${JOBS}/ingestion`).expect(is(200))).body).toEqual({ jobs: [] });
      expect((await admin('get', `${JOBS}/datasource`).expect(is(400))).body).toEqual(esError(400, 'illegal_argument_exception', /Unknown job type \[datasource\]/));
    });

    it('refuses bad ingestions with 400 in Elasticsearch\'s shape, writing nothing', async () => {
      const base = { datasource: 'pg', query: INCREMENTAL_QUERY, target: 't', pk_field: 'id', strategy: 'INCREMENTAL' };
      const bad = async (body: object, reason: RegExp, status = 400) => {
        const res = await admin('put', `${S}/ingestion/bad`, body).expect(is(status));
        expect(res.body).toEqual(esError(status, status === 400 ? 'illegal_argument_exception' : 'resource_not_found_exception', reason));
        await admin('get', `${S}/ingestion/bad`).expect(is(404));
      };
      const { target: _t, ...noTarget } = base;
      await bad({ ingest: noTarget }, /^\[ingest\.target\] is required$/);
      await bad({ ingest: { ...base, mapping: {} } }, /unknown field \[mapping\]/);
      await bad({ ingest: base, pipeline: 'x' }, /unknown field \[pipeline\]/);
      await bad({ ingest: { ...base, pk_field: undefined } }, /INCREMENTAL ingestion needs \[pk_field\]/);
      await bad({ ingest: { ...base, query: 'SELECT * FROM events WHERE id > {{{max_primary_key}}}' } }, /unescaped/);
      await bad({ ingest: { ...base, batch_size: 0 } }, /batch_size/);
      await bad({ ingest: { ...base, schedule: 'every minute' } }, /every minute/);
      // Quartz's cron has seconds first: a Unix cron would be read a field off, so it is refused.
      await bad({ ingest: { ...base, schedule: '0 0 * * *' } }, /not a Quartz cron: it has 6 fields/);
      await bad({ ingest: { ...base, querry: 'SELECT 1' } }, /unknown field \[querry\]; the fields are datasource, query, /);
      await bad({ ingest: { ...base, datasource: 'missing' } }, /^Datasource \[missing\] not found$/, 404);
      await bad({ ingest: { ...base, target_datasource: 'gone' } }, /^Datasource \[gone\] not found$/, 404);
    });
  });

  describe('executions', () => {
    const pgRows = async (table: string) => (await client.query(`SELECT id::int, name FROM ${table} ORDER BY id`)).rows as Array<{ id: number; name: string }>;

    it('loads a PostgreSQL query into a PostgreSQL target_datasource, then only the rows above max_primary_key', async () => {
      await ingest('pg-to-pg', { datasource: 'pg', target_datasource: 'pg', query: INCREMENTAL_QUERY, target: 'events_replica', pk_field: 'id', strategy: 'INCREMENTAL', batch_size: 2 });
      expect((await admin('get', `${JOBS}/ingestion/pg-to-pg`).expect(is(404))).body).toEqual({ _id: 'pg-to-pg', type: 'ingestion', found: false });
      const first = await runToEnd('pg-to-pg');
      expect(first).toEqual({ version: 1, id: 'pg-to-pg', is_running: false, start_time: expect.any(Number), end_time: expect.any(Number), infos: 'The job is done.', state: 'successful', count: 5, last_id: '5' });
      expect(first.end_time!).toBeGreaterThanOrEqual(first.start_time);
      expect(await pgRows('events_replica')).toEqual([1, 2, 3, 4, 5].map((id) => ({ id, name: `event-${id}` })));

      // Row 1 changes, rows 6 to 8 arrive: the next execution reads only ids above 5, so row 1 keeps its old name.
      await client.query(`UPDATE events SET name = 'changed' WHERE id = 1; INSERT INTO events SELECT g, 'event-' || g, g FROM generate_series(6, 8) g`);
      const second = await runToEnd('pg-to-pg');
      expect(second).toMatchObject({ state: 'successful', count: 3, last_id: '8' });
      expect(second.start_time).toBeGreaterThanOrEqual(first.end_time!);
      const rows = await pgRows('events_replica');
      expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(rows[0].name).toBe('event-1');
      // the target was created with pk_field as its primary key
      const pk = await client.query(`SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'events_replica'::regclass AND i.indisprimary`);
      expect(pk.rows).toEqual([{ attname: 'id' }]);
    });

    it('loads into the embedded SQLite target (ingestions.sqlite) without target_datasource, incrementally too', async () => {
      await ingest('pg-events', { datasource: 'pg', query: INCREMENTAL_QUERY, target: 'events_copy', pk_field: 'id', strategy: 'INCREMENTAL' });
      expect(await runToEnd('pg-events')).toMatchObject({ state: 'successful', count: 8, last_id: '8' });
      await client.query(`INSERT INTO events VALUES (9, 'event-9', 9), (10, 'event-10', 10); UPDATE events SET name = 'changed again' WHERE id = 2`);
      expect(await runToEnd('pg-events')).toMatchObject({ state: 'successful', count: 2, last_id: '10' });
      const rows = embedded<{ id: number; name: string }>('SELECT id, name FROM events_copy ORDER BY id');
      expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(rows.find((r) => r.id === 1)!.name).toBe('changed');
      expect(rows.find((r) => r.id === 2)!.name).toBe('event-2');
    });

    it('shows no last_id for an execution of no rows, starts over in a new target, and forgets the executions of a deleted ingestion', async () => {
      await ingest('again', { datasource: 'pg', query: INCREMENTAL_QUERY, target: 'again_a', pk_field: 'id', strategy: 'INCREMENTAL' });
      expect(await runToEnd('again')).toMatchObject({ state: 'successful', count: 10, last_id: '10' });
      const nothingNew = await runToEnd('again');
      expect(nothingNew).toMatchObject({ state: 'successful', count: 0 });
      expect(nothingNew.last_id).toBeUndefined();
      // Another target holds none of the rows: the whole query again, not from the old max_primary_key.
      await admin('put', `${S}/ingestion/again`, { ingest: { enable_scheduler: false, datasource: 'pg', query: INCREMENTAL_QUERY, target: 'again_b', pk_field: 'id', strategy: 'INCREMENTAL' } }).expect(is(200));
      expect(await runToEnd('again')).toMatchObject({ state: 'successful', count: 10, last_id: '10' });
      expect(embedded<{ n: number }>('SELECT count(*) AS n FROM again_b')).toEqual([{ n: 10 }]);
      // Made again under the same id after a delete, it has never run: the deleted one's executions are not its.
      await admin('delete', `${S}/ingestion/again`).expect(is(200));
      await admin('get', `${JOBS}/ingestion/again`).expect(is(404));
      await ingest('again', { datasource: 'pg', query: INCREMENTAL_QUERY, target: 'again_c', pk_field: 'id', strategy: 'INCREMENTAL' });
      expect((await admin('get', `${JOBS}/ingestion/again`).expect(is(404))).body).toEqual({ _id: 'again', type: 'ingestion', found: false });
      expect((await admin('post', `${JOBS}/ingestion/again/_abort`).expect(is(404))).body).toEqual({ _id: 'again', type: 'ingestion', found: false });
    });

    it('reloads the whole query with REPLACE, from a jdbc:sqlite datasource into a jdbc:sqlite target', async () => {
      const file = join(h.files, 'shop.db');
      const db = new Database(file);
      db.exec(`CREATE TABLE items (sku TEXT, price REAL); INSERT INTO items VALUES ('a', 1.5), ('b', 2.5)`);
      await admin('put', `${S}/datasource/shop`, { jdbc: { url: `jdbc:sqlite:${file}` } }).expect(is(201));
      await admin('put', `${S}/datasource/lake`, { jdbc: { url: `jdbc:sqlite:${join(h.files, 'lake.db')}` } }).expect(is(201));
      await ingest('shop-items', { datasource: 'shop', target_datasource: 'lake', query: 'SELECT sku, price FROM items', target: 'items', strategy: 'REPLACE' });
      expect(await runToEnd('shop-items')).toMatchObject({ state: 'successful', count: 2 });
      db.exec(`DELETE FROM items WHERE sku = 'a'; INSERT INTO items VALUES ('c', 3.5)`);
      db.close();
      expect(await runToEnd('shop-items')).toMatchObject({ state: 'successful', count: 2 });
      const lake = new Database(join(h.files, 'lake.db'), { readonly: true });
      expect(lake.prepare('SELECT sku, price FROM items ORDER BY sku').all()).toEqual([
        { sku: 'b', price: 2.5 },
        { sku: 'c', price: 3.5 },
      ]);
      lake.close();
    });

    it('lists it while it runs, refuses a second _run (409), and aborts it mid-way with the rows done', async () => {
      await ingest('slow', { datasource: 'pg', target_datasource: 'pg', query: 'SELECT slowly(id) AS id, payload FROM slow_source', target: 'slow_copy', pk_field: 'id', strategy: 'INCREMENTAL', batch_size: 50 });
      await admin('post', `${S}/ingestion/slow/_run`).expect(is(200));
      // running, with rows counted live (a progress report comes about every second)
      const running = await statusUntil('slow', (s) => s.count > 0);
      expect(running).toMatchObject({ id: 'slow', is_running: true, state: 'running', infos: 'The job is running.', last_id: String(running.count) });
      expect(running.end_time).toBeUndefined();
      expect(running.is_aborting).toBeUndefined();

      const again = await admin('post', `${S}/ingestion/slow/_run`).expect(is(409));
      expect(again.body).toEqual(esError(409, 'status_exception', /Ingestion \[slow\] is already running/));
      const list = (await admin('get', `${JOBS}/ingestion`).expect(is(200))).body;
      expect(list).toEqual({ jobs: [{ _id: 'slow', type: 'ingestion', found: true, status: expect.objectContaining({ id: 'slow', state: 'running', is_running: true }) }] });
      const busy = await admin('delete', `${S}/ingestion/slow`).expect(is(409));
      expect(busy.body).toEqual(esError(409, 'status_exception', 'Ingestion [slow] is running and cannot be deleted; abort it or wait for it to finish'));
      // _search holds finished executions only
      expect((await search('id=slow')).total).toBe(0);

      const aborting = (await admin('post', `${JOBS}/ingestion/slow/_abort`).expect(is(200))).body;
      expect(aborting).toMatchObject({ _id: 'slow', type: 'ingestion', found: true, status: { id: 'slow', is_aborting: true } });
      expect(['aborting', 'aborted']).toContain(aborting.status.state);
      if (aborting.status.state === 'aborting') expect(aborting.status).toMatchObject({ is_running: true, infos: 'The job is aborting.' });

      const aborted = await finished('slow');
      expect(aborted).toMatchObject({ is_running: false, is_aborting: true, state: 'aborted', infos: 'The job has been aborted.' });
      expect(aborted.end_time!).toBeGreaterThanOrEqual(aborted.start_time);
      expect(aborted.count).toBeGreaterThanOrEqual(running.count);
      expect(aborted.count).toBeLessThan(100_000);
      // ids arrive in order from 1: the target holds exactly the rows counted, the last of them is last_id
      const loaded = (await client.query('SELECT count(*)::int AS n, max(id)::int AS max FROM slow_copy')).rows[0];
      expect(loaded.n).toBe(aborted.count);
      expect(aborted.last_id).toBe(String(loaded.max));
      expect((await admin('get', `${JOBS}/ingestion`).expect(is(200))).body).toEqual({ jobs: [] });

      // nothing left to abort
      expect((await admin('post', `${JOBS}/ingestion/slow/_abort`).expect(is(409))).body).toEqual(esError(409, 'status_exception', 'Ingestion [slow] is not running'));
      expect((await admin('post', `${JOBS}/ingestion/nope/_abort`).expect(is(404))).body).toEqual({ _id: 'nope', type: 'ingestion', found: false });
    });

    it('fails on a bad query with state error and the error array', async () => {
      await ingest('broken', { datasource: 'pg', target_datasource: 'pg', query: 'SELECT * FROM no_such_table', target: 'broken', strategy: 'REPLACE' });
      const failed = await runToEnd('broken');
      expect(failed).toEqual({
        version: 1,
        id: 'broken',
        is_running: false,
        start_time: expect.any(Number),
        end_time: expect.any(Number),
        infos: 'The job has failed.',
        error: expect.arrayContaining([expect.stringMatching(/relation "no_such_table" does not exist/)]),
        state: 'error',
        count: 0,
      });
      expect(failed.error!.every((e) => typeof e === 'string')).toBe(true);
      expect(JSON.stringify(failed)).not.toContain(PG_PASSWORD);
    });

    it('runs a query as one statement: one that would close the subquery and run another fails, running nothing', async () => {
      await client.query('CREATE TABLE sentinel (id int)');
      await ingest('smuggled', { datasource: 'pg', target_datasource: 'pg', query: 'SELECT 1 AS id) x; DROP TABLE sentinel; SELECT * FROM (SELECT 1 AS id', target: 'smuggled', strategy: 'REPLACE' });
      expect(await runToEnd('smuggled')).toMatchObject({ state: 'error', error: expect.arrayContaining([expect.stringMatching(/multiple commands/)]) });
      expect((await client.query(`SELECT to_regclass('sentinel')::text AS t`)).rows).toEqual([{ t: 'sentinel' }]);
    });
  });

  describe('_search', () => {
    const ids = (hits: Hit[]) => hits.map((hit) => hit._id);

    it('finds finished executions newest first, as `<job id><execution id>` with the status as _source', async () => {
      const all = await search('size=100');
      expect(all.hits.length).toBe(all.total);
      const starts = all.hits.map((hit) => hit._source.ingestion.start_time);
      expect(starts).toEqual([...starts].sort((a, b) => b - a));
      for (const hit of all.hits) expect(hit._id).toMatch(new RegExp(`^${hit._source.ingestion.id}${UUID}$`));
      expect(new Set(ids(all.hits)).size).toBe(all.total);

      const mine = await search('id=pg-to-pg');
      expect(mine.total).toBe(2);
      expect(mine.hits[0]._source.ingestion).toEqual(await status('pg-to-pg'));
      expect(mine.hits.map((hit) => hit._source.ingestion)).toEqual([
        expect.objectContaining({ id: 'pg-to-pg', state: 'successful', count: 3, last_id: '8' }),
        expect.objectContaining({ id: 'pg-to-pg', state: 'successful', count: 5, last_id: '5' }),
      ]);
      expect((await search('id=never-made')).total).toBe(0);
    });

    it('filters by state and type', async () => {
      const all = await search('size=100');
      const aborted = await search('state=aborted');
      expect(aborted.hits.map((hit) => hit._source.ingestion)).toEqual([expect.objectContaining({ id: 'slow', state: 'aborted', is_aborting: true })]);
      const failed = await search('state=error');
      expect(failed.hits.map((hit) => hit._source.ingestion)).toEqual([
        expect.objectContaining({ id: 'smuggled', state: 'error', error: expect.any(Array) }),
        expect.objectContaining({ id: 'broken', state: 'error', error: expect.any(Array) }),
      ]);
      const successful = await search('state=successful&size=100');
      expect(successful.hits.every((hit) => hit._source.ingestion.state === 'successful')).toBe(true);
      expect(new Set(successful.hits.map((hit) => hit._source.ingestion.id))).toEqual(new Set(all.hits.filter((hit) => hit._source.ingestion.state === 'successful').map((hit) => hit._source.ingestion.id)));
      expect(successful.total + aborted.total + failed.total).toBe(all.total);
      expect((await search('state=running')).total).toBe(0);
      expect((await search('state=aborting')).total).toBe(0);
      expect((await search('type=ingestion&size=100')).total).toBe(all.total);
      expect((await search('state=successful&id=slow')).total).toBe(0);
    });

    it('filters by start time, both bounds inclusive to the millisecond', async () => {
      const [newer, older] = (await search('id=pg-to-pg')).hits;
      const t = newer._source.ingestion.start_time;
      const o = older._source.ingestion.start_time;
      expect(t).toBeGreaterThan(o + 1);
      const range = async (query: string) => ids((await search(`id=pg-to-pg&${query}`)).hits);
      expect(await range(`start_time_from=${t}&start_time_to=${t}`)).toEqual([newer._id]);
      expect(await range(`start_time_from=${t + 1}`)).toEqual([]);
      expect(await range(`start_time_to=${t - 1}`)).toEqual([older._id]);
      expect(await range(`start_time_from=${o}&start_time_to=${t}`)).toEqual([newer._id, older._id]);
      expect(await range(`start_time_from=${o + 1}&start_time_to=${t - 1}`)).toEqual([]);
      expect(await range(`start_time_to=${o - 1}`)).toEqual([]);
      expect(ids((await search(`start_time_from=${t}&start_time_to=${t}`)).hits)).toContain(newer._id);
      // every filter at once, as in Siren's own example
      const one = await search(`type=ingestion&id=slow&state=aborted&start_time_to=${(await status('slow')).start_time}`);
      expect(one.total).toBe(1);
      expect(one.hits[0]._id).toMatch(new RegExp(`^slow${UUID}$`));
    });

    it('pages with from and size, the total counting every match', async () => {
      const all = await search('size=100');
      expect(all.total).toBeGreaterThanOrEqual(5);
      const first = await search('size=2');
      const second = await search('from=2&size=2');
      expect([first.total, second.total]).toEqual([all.total, all.total]);
      expect(ids(first.hits)).toEqual(ids(all.hits).slice(0, 2));
      expect(ids(second.hits)).toEqual(ids(all.hits).slice(2, 4));
      expect((await search(`from=${all.total}`)).hits).toEqual([]);
      expect((await search('')).hits.length).toBe(Math.min(10, all.total));
    });

    it('keeps the executions of a deleted ingestion searchable', async () => {
      await admin('delete', `${S}/ingestion/broken`).expect(is(200));
      expect((await search('id=broken')).hits.map((hit) => hit._source.ingestion.state)).toEqual(['error']);
    });

    it('refuses bad parameters with 400 in Elasticsearch\'s shape', async () => {
      const bad = async (query: string, reason: RegExp) => expect((await admin('get', `${JOBS}/_search?${query}`).expect(is(400))).body).toEqual(esError(400, 'illegal_argument_exception', reason));
      await bad('colour=red', /unrecognized parameter: \[colour\]/);
      await bad('state=done', /\[state\] must be one of/);
      await bad('type=datasource', /Unknown job type \[datasource\]/);
      await bad('start_time_from=yesterday', /\[start_time_from\] must be a whole number/);
      await bad('size=-1', /\[size\]/);
      await bad('from=9999&size=10', /Result window is too large/);
    });
  });
});
