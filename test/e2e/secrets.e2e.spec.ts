import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { Harness } from './app.harness.js';

const V2 = '/api.rsc/v2';
const PASSWORD = 'Tr0ub4dor-horse-9';
const WRONG = 'Wr0ng-staple-77';
const masked = (url: string) => url.replace(/:[^:@/]*@/, ':****@');

/** Every byte of the embedded stores (with their WAL files), as text to search. */
function storeBytes(dataDir: string): string {
  return readdirSync(dataDir)
    .filter((f) => f.startsWith('events.db') || f.startsWith('read-models.db'))
    .map((f) => readFileSync(join(dataDir, f)).toString('latin1'))
    .join('\n');
}

describe('Connection secrets (e2e, real PostgreSQL with password authentication)', () => {
  let server: TestPostgres;
  let client: pg.Client;

  beforeAll(async () => {
    server = await startPostgres({ password: PASSWORD });
    client = new pg.Client(server.url);
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await server?.stop();
  });

  /** A sqlite source with one table, a job into `into`; answers the job id. */
  async function job(h: Harness, workspace: string, into: string, table: string): Promise<string> {
    const file = join(h.files, `${workspace}.db`);
    const db = new Database(file);
    db.exec(`CREATE TABLE IF NOT EXISTS ${table} (id INTEGER PRIMARY KEY, name TEXT); INSERT OR REPLACE INTO ${table} VALUES (1, 'Ada'), (2, 'Linus');`);
    db.close();
    const from = await h.connection(workspace, `${workspace}-src`, 'sqlite', { path: file });
    const body = { name: `${workspace}-job`, source_connection_id: from, destination_connection_id: into, queries: [`REPLICATE [${table}]`] };
    return (await h.post(`${V2}/workspaces/${workspace}/jobs`, body).expect(201)).body.id;
  }

  async function run(h: Harness, jobId: string) {
    const run = await h.waitForRun(jobId, (await h.post(`${V2}/jobs/${jobId}/execute`, {}).expect(202)).body.id);
    const logs = (await h.get(`/v1/runs/${run.id}/logs`).expect(200)).body;
    return { run, logs: JSON.stringify(logs) };
  }

  it('never shows the password: create, get, list, the stream, the store files, errors and logs; a masked PUT keeps it', async () => {
    const h = await new Harness().start();
    try {
      const created = await h.post(`${V2}/workspaces/sec/connections`, { name: 'dw', kind: 'postgres', settings: { url: server.url } }).expect(201);
      const id = created.body.id as string;
      const answers = [
        created.body,
        (await h.get(`${V2}/connections/${id}`).expect(200)).body,
        (await h.get(`${V2}/workspaces/sec/connections`).expect(200)).body.value[0],
      ];
      for (const answer of answers) expect(answer.settings).toEqual({ url: masked(server.url) });
      const stream = await h.get(`/v1/streams/connection-${id}/events`).expect(200);
      expect(stream.body.events[0].data.settings).toEqual({ url: masked(server.url) });
      expect(JSON.stringify([answers, stream.body])).not.toContain(PASSWORD);

      // What a GET showed, sent back: the stored secret stays and no event is written.
      const put = await h.put(`${V2}/connections/${id}`, { settings: { url: masked(server.url) } }).expect(200);
      expect(put.body.settings).toEqual({ url: masked(server.url) });
      expect(await h.events(`connection-${id}`)).toHaveLength(1);
      const jobId = await job(h, 'sec', id, 'people');
      const ok = await run(h, jobId);
      expect(ok.run).toMatchObject({ status: 'succeeded', rows_written: 2 });
      expect((await client.query('SELECT count(*)::int AS n FROM public.people')).rows[0].n).toBe(2);

      // A wrong password is sealed as well, and the failure it causes shows neither password.
      await h.put(`${V2}/connections/${id}`, { settings: { url: server.url.replace(PASSWORD, WRONG) } }).expect(200);
      const failed = await run(h, jobId);
      expect(failed.run.status).toBe('failed');
      expect(failed.logs).toMatch(/password authentication failed/);
      const everything = JSON.stringify([failed, await h.events(`connection-${id}`), (await h.get(`${V2}/jobs/${jobId}/history`)).body]);
      expect(everything).not.toContain(PASSWORD);
      expect(everything).not.toContain(WRONG);

      // A separate password setting is sealed too, and a masked one sent back keeps it.
      await h.put(`${V2}/connections/${id}`, { settings: { url: masked(server.url).replace(':****', ''), password: PASSWORD } }).expect(200);
      const again = await h.put(`${V2}/connections/${id}`, { settings: { url: masked(server.url).replace(':****', ''), password: '****' } }).expect(200);
      expect(again.body.settings).toEqual({ url: masked(server.url).replace(':****', ''), password: '****' });
      expect((await run(h, jobId)).run.status).toBe('succeeded');

      const bytes = storeBytes(h.dataDir);
      expect(bytes).toContain('sealed');
      expect(bytes).not.toContain(PASSWORD);
      expect(bytes).not.toContain(WRONG);
    } finally {
      await h.destroy();
    }
  });

  it('opens secrets sealed before a key rotation with the old key kept in SLUICE_SECRET_KEYS_OLD, and names the key it lacks', async () => {
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('base64');
    const first = await new Harness().start({ SLUICE_SECRET_KEY: oldKey });
    const id = await first.connection('rot', 'dw', 'postgres', { url: server.url });
    const jobId = await job(first, 'rot', id, 'rotated');
    await first.stop();

    const withoutOld = await new Harness(first.dataDir).start({ SLUICE_SECRET_KEY: newKey });
    const refused = await run(withoutOld, jobId);
    expect(refused.run.status).toBe('failed');
    expect(refused.logs).toMatch(/sealed with key [0-9a-f]{12}, which is not configured/);
    await withoutOld.stop();

    const rotated = await new Harness(first.dataDir).start({ SLUICE_SECRET_KEY: newKey, SLUICE_SECRET_KEYS_OLD: oldKey });
    expect((await run(rotated, jobId)).run.status).toBe('succeeded');
    // Re-saving the settings as shown reseals them under the new key; then the old key can go.
    await rotated.put(`${V2}/connections/${id}`, { settings: { url: masked(server.url) } }).expect(200);
    await rotated.stop();
    const after = await new Harness(first.dataDir).start({ SLUICE_SECRET_KEY: newKey });
    expect((await run(after, jobId)).run.status).toBe('succeeded');
    await after.destroy();
  });

  it('generates a key into the data dir at the first start, readable by its owner only', async () => {
    const h = await new Harness().start();
    try {
      const { statSync } = await import('node:fs');
      const file = join(h.dataDir, 'secret-key');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    } finally {
      await h.destroy();
    }
  });

  it('loads events written with plain settings (schema version 1): answers mask them and runs connect with them', async () => {
    const h = new Harness();
    await h.start();
    const id = await h.connection('old', 'dw', 'postgres', { url: masked(server.url).replace(':****', '') });
    const jobId = await job(h, 'old', id, 'legacy');
    const standalone = randomUUID();
    await h.stop();

    // As a Sluice before sealing wrote them: plain settings, schema version 1.
    const store = new SqliteEventStore(join(h.dataDir, 'events.db'));
    const metadata = { actor: 'admin', correlationId: 'old', occurredAt: new Date().toISOString(), schemaVersion: 1 };
    const revision = (await store.readStream(`connection-${id}`)).length - 1;
    await store.append(`connection-${id}`, [{ id: randomUUID(), type: 'ConnectionUpdated', data: { connectionId: id, settings: { url: server.url } }, metadata }], revision);
    const created = { connectionId: standalone, workspaceId: 'old', name: 'legacy', kind: 'postgres', settings: { url: server.url, password: PASSWORD } };
    await store.append(`connection-${standalone}`, [{ id: randomUUID(), type: 'ConnectionCreated', data: created, metadata }], 'no_stream');
    await store.close();

    await h.start();
    try {
      for (const connection of [id, standalone]) {
        const got = await h.get(`${V2}/connections/${connection}`).expect(200);
        expect(got.body.settings.url).toBe(masked(server.url));
        const stream = await h.get(`/v1/streams/connection-${connection}/events`).expect(200);
        expect(JSON.stringify([got.body, stream.body])).not.toContain(PASSWORD);
      }
      expect((await h.get(`${V2}/connections/${standalone}`)).body.settings.password).toBe('****');
      const list = await h.get(`${V2}/workspaces/old/connections`).expect(200);
      expect(JSON.stringify(list.body)).not.toContain(PASSWORD);
      expect((await run(h, jobId)).run).toMatchObject({ status: 'succeeded', rows_written: 2 });
    } finally {
      await h.destroy();
    }
  });
});
