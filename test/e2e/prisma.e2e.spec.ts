import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parseEDNString } from 'edn-data';
import pg from 'pg';
import type { Test } from 'supertest';
import { ProjectionRunner } from '../../projections/runner.js';
import { createApp } from '../../src/app.js';
import { loadSettings } from '../../src/config/settings.js';
import { EVENT_STORE, type EventStore } from '../../src/core/event-store.js';
import { FILE_STORE, type FileStore } from '../../src/core/file-store.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { Harness, TOKEN } from './app.harness.js';

const API = '/api/data-sync';
const PRISMA_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/;
const MISSING = '0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Launch = { id: number; status: string; 'scheduled-time': string; 'started-at'?: string; 'status-message'?: string };
type Status = { name: string; status: string; 'latest-launch'?: Launch; 'next-launch'?: string };

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const edn = <T>(text: string) => parseEDNString(text, { mapAs: 'object', keywordAs: 'string', listAs: 'array' }) as T;

/**
 * One HTTP/1.1 request over a raw socket: the head, then each part of the body `everyMs` apart; then the
 * socket is closed (`end`: the client's half only, so an answer can still come; `destroy`: at once) unless the
 * body was all sent. Answers what the server wrote back before the connection closed.
 */
function rawRequest(
  url: string,
  head: { method: string; path: string; headers: Record<string, string> },
  parts: string[],
  options: { everyMs?: number; cut?: 'end' | 'destroy'; before?: () => Promise<void> } = {},
): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer));
    const lines = [`${head.method} ${head.path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...Object.entries(head.headers).map(([k, v]) => `${k}: ${v}`)];
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    void (async () => {
      for (const part of parts) {
        await sleep(options.everyMs ?? 0);
        if (socket.destroyed) return;
        socket.write(part);
      }
      await options.before?.();
      if (options.cut === 'end') socket.end();
      else if (options.cut === 'destroy') socket.destroy();
    })().catch((error: Error) => {
      socket.destroy();
      answer = `(not sent: ${error.message})`;
    });
  });
}

const BOUNDARY = 'sluice-raw-form';
const formHead = (filename = 'a.csv') => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/csv\r\n\r\n`;
const formEnd = `\r\n--${BOUNDARY}--\r\n`;
const formType = `multipart/form-data; boundary=${BOUNDARY}`;

function sql(file: string, statement: string, ...params: unknown[]): unknown[] {
  const db = new Database(file);
  try {
    const prepared = db.prepare(statement);
    return prepared.reader ? prepared.all(...params) : (prepared.run(...params), []);
  } finally {
    db.close();
  }
}

/** Calls and waits shared by both harnesses. */
function prismaClient(h: Harness) {
  const upload = (kind: string, id: string, csv: string | Buffer, auth?: string) => {
    const req = h.raw().post(`${API}/${kind}/${id}`);
    if (auth) req.set('Authorization', auth);
    return req.attach('file', Buffer.from(csv), { filename: 'data.csv', contentType: 'text/csv' });
  };
  const status = async (id: string, auth?: string): Promise<Status> => {
    const req = h.raw().get(`${API}/${id}`).set('Accept', 'application/json');
    return (await (auth ? req.set('Authorization', auth) : req).expect(200)).body;
  };
  /** Waits for the data sync's latest launch to end (finished or cancelled). */
  const launchEnded = async (id: string, auth?: string): Promise<Launch> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const launch = (await status(id, auth))['latest-launch'];
      if (launch && ['finished', 'cancelled'].includes(launch.status)) return launch;
      if (Date.now() > deadline) throw new Error(`The latest launch of ${id} did not end: ${JSON.stringify(launch)}`);
      await sleep(50);
    }
  };
  const create = async (body: object) => (await h.post('/v1/data-syncs', body).expect(201)).body as { id: string; token?: string; token_id?: string };
  const uploads = (id: string) => h.app.get<FileStore>(FILE_STORE).list(`datasyncs/${id}/uploads/`);
  return { upload, status, launchEnded, create, uploads };
}

describe('Prisma Campaigns data syncs (e2e)', () => {
  let h: Harness;
  let db: string;
  let crm: string;
  let client: ReturnType<typeof prismaClient>;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    h = await new Harness().start();
    client = prismaClient(h);
    db = join(h.files, 'crm.db');
    sql(db, 'CREATE TABLE customers (email TEXT PRIMARY KEY, name TEXT)');
    sql(db, "INSERT INTO customers VALUES ('ada@example.com', 'Old Ada'), ('linus@example.com', 'Linus')");
    crm = await h.connection('prisma', 'crm', 'sqlite', { path: db });
    for (const role of ['Viewer', 'Operator'] as const) {
      tokens[role] = (await h.post('/v1/tokens', { name: `prisma-${role}`, roles: [role] }).expect(201)).body.token;
    }
  });
  afterAll(() => h.destroy());

  const rows = () => sql(db, 'SELECT email, name FROM customers ORDER BY email');

  describe('the admin routes /v1/data-syncs', () => {
    it('creates, lists, reads, changes only the fields sent, and deletes a data sync', async () => {
      const created = (await h.post('/v1/data-syncs', { name: 'Crud', kind: 'import', connection_id: crm, table: 'customers', key_columns: ['email'] }).expect(201)).body;
      expect(created).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'Crud',
        kind: 'import',
        connection_id: crm,
        table: 'customers',
        key_columns: ['email'],
        schedule: { enabled: false, cron: '', timezone: 'UTC' },
        enabled: true,
        auth: false,
        latest_launch: null,
        next_launch: null,
        created_at: expect.any(String),
        created_by: 'token:admin',
        updated_at: expect.any(String),
        version: expect.any(Number),
      });
      expect((await h.get('/v1/data-syncs').expect(200)).body.data_syncs.map((d: { id: string }) => d.id)).toContain(created.id);
      expect((await h.get(`/v1/data-syncs/${created.id}`).expect(200)).body).toEqual(created);

      const changed = (await h.put(`/v1/data-syncs/${created.id}`, { name: 'Crud renamed' }).expect(200)).body;
      expect(changed).toMatchObject({ name: 'Crud renamed', table: 'customers', key_columns: ['email'], enabled: true, auth: false, connection_id: crm });
      expect((await h.put(`/v1/data-syncs/${created.id}`, { key_columns: null, enabled: false }).expect(200)).body).toMatchObject({ name: 'Crud renamed', key_columns: null, enabled: false });
      expect((await client.status(created.id)).status).toBe('disabled');

      await h.delete(`/v1/data-syncs/${created.id}`).expect(204);
      await h.get(`/v1/data-syncs/${created.id}`).expect(404);
      await h.raw().get(`${API}/${created.id}`).expect(404);
      await h.delete(`/v1/data-syncs/${created.id}`).expect(404);
    });

    it('validates strictly', async () => {
      const valid = { name: 'Strict', kind: 'import', connection_id: crm, table: 'customers' };
      const refused = async (body: object, field: string) => {
        const res = await h.post('/v1/data-syncs', body).expect(400);
        expect(res.body.error).toMatchObject({ code: 'VALIDATION', field });
      };
      await refused({ ...valid, extra: 1 }, 'extra');
      await refused({ ...valid, kind: 'upsert' }, 'kind');
      await refused({ ...valid, table: '' }, 'table');
      await refused({ ...valid, connection_id: 'crm' }, 'connection_id');
      await refused({ ...valid, key_columns: [] }, 'key_columns');
      await refused({ ...valid, schedule: { enabled: 'yes' } }, 'schedule.enabled');
      await refused({ ...valid, schedule: { enabled: true, cron: '* * * * *' } }, 'schedule');
      const { name: _name, ...nameless } = valid;
      await refused(nameless, 'name');
      await h.post('/v1/data-syncs', { ...valid, connection_id: MISSING }).expect(404);
      const id = (await client.create({ ...valid, name: 'Strict ok' })).id;
      await h.post('/v1/data-syncs', { ...valid, name: 'Strict ok' }).expect(409);
      expect((await h.put(`/v1/data-syncs/${id}`, { kind: 'export' }).expect(400)).body.error.field).toBe('kind');
      await h.put(`/v1/data-syncs/${MISSING}`, { name: 'x' }).expect(404);
      await h.get('/v1/data-syncs/not-a-uuid').expect(404);
    });

    it('needs Viewer to read, Operator to launch, Administrator to change', async () => {
      const id = (await client.create({ name: 'Roles', kind: 'export', connection_id: crm, table: 'customers' })).id;
      const as = (role: string, req: Test) => req.set('Authorization', `Bearer ${tokens[role]}`);
      await as('Viewer', h.raw().get(`/v1/data-syncs/${id}`)).expect(200);
      await as('Viewer', h.raw().post(`/v1/data-syncs/${id}/launch`)).expect(403);
      await as('Operator', h.raw().post('/v1/data-syncs').send({ name: 'no', kind: 'export', connection_id: crm, table: 'customers' })).expect(403);
      await as('Operator', h.raw().post(`/v1/data-syncs/${id}/tokens`)).expect(403);
      await h.raw().get(`/v1/data-syncs/${id}`).expect(401);
      await as('Operator', h.raw().post(`/v1/data-syncs/${id}/launch`)).expect(202);
      await client.launchEnded(id);
    });

    it('answers a 400 to launching an import or delete without a file', async () => {
      for (const kind of ['import', 'delete']) {
        const id = (await client.create({ name: `No file ${kind}`, kind, connection_id: crm, table: 'customers' })).id;
        const res = await h.post(`/v1/data-syncs/${id}/launch`).expect(400);
        expect(res.body.error.message).toContain(`/api/data-sync/${kind}/${id}`);
      }
      await h.post(`/v1/data-syncs/${MISSING}/launch`).expect(404);
    });

    it('issues tokens shown once and revokes only those of the data sync', async () => {
      const a = await client.create({ name: 'Tokens A', kind: 'import', connection_id: crm, table: 'customers', auth: true });
      const b = await client.create({ name: 'Tokens B', kind: 'import', connection_id: crm, table: 'customers', auth: true });
      expect(a).toMatchObject({ auth: true, token: expect.stringMatching(/^\S{20,}$/), token_id: expect.any(String) });
      const issued = (await h.post(`/v1/data-syncs/${a.id}/tokens`).expect(201)).body;
      expect(issued).toEqual({ token_id: expect.any(String), token: expect.any(String) });
      expect(issued.token).not.toBe(a.token);
      await h.delete(`/v1/data-syncs/${a.id}/tokens/${b.token_id}`).expect(404);
      await h.delete(`/v1/data-syncs/${a.id}/tokens/${MISSING}`).expect(404);
      await h.delete(`/v1/data-syncs/${a.id}/tokens/${issued.token_id}`).expect(204);
      await h.delete(`/v1/data-syncs/${a.id}/tokens/${issued.token_id}`).expect(404);
      // the other token of A, and B's, still work
      await h.raw().get(`${API}/${a.id}`).set('Authorization', basic('api', a.token!)).expect(200);
      await h.raw().get(`${API}/${b.id}`).set('Authorization', basic('api', b.token!)).expect(200);
      await h.raw().get(`${API}/${a.id}`).set('Authorization', basic('api', issued.token)).expect(403);
    });
  });

  describe('status and latest launches', () => {
    it('answers EDN without Accept and with Accept: application/edn, JSON with application/json, keys hyphenated', async () => {
      const id = (await client.create({ name: 'Formats', kind: 'export', connection_id: crm, table: 'customers' })).id;
      for (const accept of [undefined, 'application/edn', '*/*']) {
        const req = h.raw().get(`${API}/${id}`);
        const res = await (accept ? req.set('Accept', accept) : req).expect(200);
        expect(res.headers['content-type']).toMatch(/^application\/edn/);
        expect(edn<Status>(res.text)).toEqual({ name: 'Formats', status: 'enabled' });
      }
      const json = await h.raw().get(`${API}/${id}`).set('Accept', 'application/json').expect(200);
      expect(json.headers['content-type']).toMatch(/^application\/json/);
      expect(json.body).toEqual({ name: 'Formats', status: 'enabled' });
      // without Accept, a Content-Type of JSON asks for JSON (the seed: both headers decide)
      expect((await h.raw().get(`${API}/${id}`).set('Content-Type', 'application/json').expect(200)).body).toEqual({ name: 'Formats', status: 'enabled' });

      await h.post(`/v1/data-syncs/${id}/launch`).expect(202);
      const ended = await client.launchEnded(id);
      const text = (await h.raw().get(`${API}/${id}`).expect(200)).text;
      expect(text).toMatch(/:latest-launch \{/);
      expect(text).toMatch(/:scheduled-time "/);
      const status = edn<Status>(text);
      expect(status['latest-launch']).toEqual(ended);
      expect(ended).toMatchObject({ id: expect.any(Number), 'scheduled-time': expect.stringMatching(PRISMA_TIME), 'started-at': expect.stringMatching(PRISMA_TIME) });

      const launches = await h.raw().get(`${API}/${id}/latest-launches`).expect(200);
      expect(launches.headers['content-type']).toMatch(/^application\/edn/);
      expect(edn<Launch[]>(launches.text)).toEqual([ended]);
      expect((await h.raw().get(`${API}/${id}/latest-launches`).set('Accept', 'application/json').expect(200)).body).toEqual([ended]);
    });

    it('lists at most 20 launches, newest first', async () => {
      const id = (await client.create({ name: 'Many', kind: 'export', connection_id: crm, table: 'customers' })).id;
      const numbers: number[] = [];
      for (let i = 0; i < 22; i++) {
        numbers.push((await h.post(`/v1/data-syncs/${id}/launch`).expect(202)).body.id);
        await client.launchEnded(id);
      }
      const launches: Launch[] = (await h.raw().get(`${API}/${id}/latest-launches`).set('Accept', 'application/json').expect(200)).body;
      expect(launches.map((l) => l.id)).toEqual(numbers.reverse().slice(0, 20));
    }, 60_000);

    it('shows the next launch of a schedule, in UTC without offset', async () => {
      const id = (await client.create({ name: 'Yearly', kind: 'export', connection_id: crm, table: 'customers', schedule: { enabled: true, cron: '0 13 17 1 *', timezone: 'UTC' } })).id;
      const next = (await client.status(id))['next-launch']!;
      expect(next).toMatch(/^\d{4}-01-17T13:00:00$/);
      await h.put(`/v1/data-syncs/${id}`, { enabled: false }).expect(200);
      expect(await client.status(id)).toEqual({ name: 'Yearly', status: 'disabled' });
    });
  });

  describe('auth', () => {
    let guarded: { id: string; token?: string; token_id?: string };
    let other: { id: string; token?: string };

    beforeAll(async () => {
      guarded = await client.create({ name: 'Guarded', kind: 'export', connection_id: crm, table: 'customers', auth: true });
      other = await client.create({ name: 'Other', kind: 'export', connection_id: crm, table: 'customers', auth: true });
    });

    const get = (auth?: string) => {
      const req = h.raw().get(`${API}/${guarded.id}`).set('Accept', 'application/json');
      return auth ? req.set('Authorization', auth) : req;
    };

    it("takes Basic api:<its token>, an Operator token as Basic password or Bearer, and refuses everything else with 403 'Falló de autenticación'", async () => {
      await get(basic('api', guarded.token!)).expect(200);
      await get(basic('api', tokens.Operator)).expect(200);
      await get(`Bearer ${tokens.Operator}`).expect(200);
      await get(`Bearer ${TOKEN}`).expect(200);
      for (const refused of [undefined, basic('admin', guarded.token!), basic('api', other.token!), basic('api', tokens.Viewer), `Bearer ${tokens.Viewer}`, basic('api', 'nope'), basic('api', ''), 'Token xyz']) {
        const res = await get(refused).expect(403);
        expect({ refused, type: res.headers['content-type'], text: res.text }).toEqual({ refused, type: expect.stringMatching(/^text\/plain/), text: expect.stringMatching(/^Falló de autenticación/) });
        expect(res.headers['www-authenticate']).toBeUndefined();
      }
      // every route of the data sync is guarded, uploads too (refused before the body is read)
      await h.raw().get(`${API}/${guarded.id}/latest-launches`).expect(403);
      await h.raw().get(`${API}/export/${guarded.id}`).expect(403);
      await h.raw().get(`${API}/${guarded.id}/1/download`).expect(403);
      await client.upload('import', guarded.id, 'email\nx@example.com\n').expect(403);
    });

    it('refuses a revoked token at once', async () => {
      const { token, token_id } = (await h.post(`/v1/data-syncs/${guarded.id}/tokens`).expect(201)).body;
      await get(basic('api', token)).expect(200);
      await h.delete(`/v1/data-syncs/${guarded.id}/tokens/${token_id}`).expect(204);
      expect((await get(basic('api', token)).expect(403)).text).toMatch(/^Falló de autenticación/);
      await get(basic('api', guarded.token!)).expect(200);
    });

    it('opens the routes of a data sync without auth, acting as anonymous', async () => {
      const open = await client.create({ name: 'Open', kind: 'import', connection_id: crm, table: 'customers', key_columns: ['email'] });
      await h.raw().get(`${API}/${open.id}`).expect(200);
      await h.raw().get(`${API}/${open.id}`).set('Authorization', basic('api', 'whatever')).expect(200);
      await client.upload('import', open.id, 'email,name\nada@example.com,Ada\n').expect(200);
      await client.launchEnded(open.id);
      expect((await h.get(`/v1/data-syncs/${open.id}`).expect(200)).body.latest_launch.requested_by).toBe('anonymous');
    });

    it('answers 404 for an unknown data sync, credential or not', async () => {
      for (const url of [`${API}/${MISSING}`, `${API}/${MISSING}/latest-launches`, `${API}/export/${MISSING}`, `${API}/${MISSING}/1/download`, `${API}/not-a-uuid`]) {
        const res = await h.raw().get(url).expect(404);
        expect(res.headers['content-type']).toMatch(/^text\/plain/);
        expect(res.text).toMatch(/not found/);
        await h.raw().get(url).set('Authorization', `Bearer ${TOKEN}`).expect(404);
      }
      await client.upload('import', MISSING, 'a\n1\n').expect(404);
      await client.upload('delete', MISSING, 'a\n1\n').expect(404);
    });
  });

  describe('uploads', () => {
    let importer: string;
    let deleter: string;
    let exporter: string;

    beforeAll(async () => {
      importer = (await client.create({ name: 'Importer', kind: 'import', connection_id: crm, table: 'customers', key_columns: ['email'] })).id;
      deleter = (await client.create({ name: 'Deleter', kind: 'delete', connection_id: crm, table: 'customers', key_columns: ['email'] })).id;
      exporter = (await client.create({ name: 'Exporter', kind: 'export', connection_id: crm, table: 'customers' })).id;
    });

    it('answers 400 without a file field, for a text field, for a body that is no form, and for a data sync of another kind; nothing stored', async () => {
      const noFile = await h.raw().post(`${API}/import/${importer}`).field('name', 'x').attach('other', Buffer.from('a\n'), 'a.csv').expect(400);
      expect(noFile.text).toMatch(/field "other"/);
      expect((await h.raw().post(`${API}/import/${importer}`).field('note', 'x').expect(400)).text).toMatch(/no field "file"/);
      expect((await h.raw().post(`${API}/import/${importer}`).field('file', 'email\nx\n').expect(400)).text).toMatch(/holds text, not a file/);
      expect((await h.raw().post(`${API}/import/${importer}`).send({ file: 'x' }).expect(400)).text).toMatch(/not a form upload/);
      await h.raw().post(`${API}/import/${importer}`).expect(400);
      expect((await client.upload('delete', importer, 'email\nx\n').expect(400)).text).toMatch(/is an import, not a delete/);
      expect((await client.upload('import', deleter, 'email\nx\n').expect(400)).text).toMatch(/is a delete, not an import/);
      expect((await client.upload('import', exporter, 'email\nx\n').expect(400)).text).toMatch(/is an export/);
      expect((await client.upload('delete', exporter, 'email\nx\n').expect(400)).text).toMatch(/is an export/);
      expect((await h.raw().get(`${API}/export/${importer}`).expect(400)).text).toMatch(/is an import, not an export/);
      for (const id of [importer, deleter, exporter]) expect(await client.uploads(id)).toEqual([]);
      expect((await client.status(importer))['latest-launch']).toBeUndefined();
    });

    it('takes a file larger than SLUICE_MAX_BODY_KB: the JSON body limit does not apply to forms', async () => {
      const big = `email,name\n${Array.from({ length: 40_000 }, (_, i) => `big${i}@example.com,Big ${i}`).join('\n')}\n`;
      expect(big.length).toBeGreaterThan(1024 * 1024);
      const res = await client.upload('import', importer, big).expect(200);
      expect(res.text).toBe('File queued');
      const launch = await client.launchEnded(importer);
      const download = await h.raw().get(`${API}/${importer}/${launch.id}/download`).expect(200);
      expect(download.text).toBe(big);
      sql(db, "DELETE FROM customers WHERE email LIKE 'big%'");
    });

    // Needs the data sync step (src/execution/data-sync-step.ts).
    it('imports a CSV: File queued, then its rows upserted by the key columns', async () => {
      const res = await client.upload('import', importer, 'email,name\nada@example.com,Ada\ngrace@example.com,Grace\n').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toBe('File queued');
      // the upload's connection, taken off the server's request timeout, is not kept for another request
      expect(res.headers.connection).toBe('close');
      const launch = await client.launchEnded(importer);
      expect(launch).toEqual({ id: expect.any(Number), status: 'finished', 'scheduled-time': expect.stringMatching(PRISMA_TIME), 'started-at': expect.stringMatching(PRISMA_TIME) });
      expect(rows()).toEqual([
        { email: 'ada@example.com', name: 'Ada' },
        { email: 'grace@example.com', name: 'Grace' },
        { email: 'linus@example.com', name: 'Linus' },
      ]);
    });

    // Needs the data sync step.
    it('deletes the rows a CSV names', async () => {
      await client.upload('delete', deleter, 'email\ngrace@example.com\nnobody@example.com\n').expect(200);
      expect((await client.launchEnded(deleter)).status).toBe('finished');
      expect(rows()).toEqual([
        { email: 'ada@example.com', name: 'Ada' },
        { email: 'linus@example.com', name: 'Linus' },
      ]);
    });

    // Needs the data sync step.
    it('leaves the table untouched by a malformed file, naming its line (and column)', async () => {
      const before = rows();
      await client.upload('import', importer, 'email,name\nmargaret@example.com,Margaret\nbad@example.com,Bad,extra\n').expect(200);
      const launch = await client.launchEnded(importer);
      expect(launch.status).toBe('cancelled');
      expect(launch['status-message']).toMatch(/line 3\b/i);
      expect(rows()).toEqual(before);

      sql(db, 'CREATE TABLE orders (id INTEGER PRIMARY KEY, amount INTEGER)');
      sql(db, 'INSERT INTO orders VALUES (1, 5)');
      const orders = (await client.create({ name: 'Orders', kind: 'import', connection_id: crm, table: 'orders' })).id;
      await client.upload('import', orders, 'id,amount\n1,10\n2,20\n3,thirty\n').expect(200);
      const typed = await client.launchEnded(orders);
      expect(typed.status).toBe('cancelled');
      expect(typed['status-message']).toMatch(/line 4, column amount/i);
      expect(sql(db, 'SELECT id, amount FROM orders')).toEqual([{ id: 1, amount: 5 }]);
    });

    it("deletes a data sync's uploads and exports with it, and no other data sync's files", async () => {
      const files = h.app.get<FileStore>(FILE_STORE);
      const names = async (prefix: string) => (await files.list(prefix)).map((f) => f.name);
      const upload = (await client.create({ name: 'Short-lived import', kind: 'import', connection_id: crm, table: 'customers', key_columns: ['email'] })).id;
      const bystander = (await client.create({ name: 'Bystander', kind: 'delete', connection_id: crm, table: 'customers', key_columns: ['email'] })).id;
      await client.upload('delete', bystander, 'email\nnobody@example.com\n').expect(200);
      await client.launchEnded(bystander);
      const exporter = (await client.create({ name: 'Short-lived export', kind: 'export', connection_id: crm, table: 'customers' })).id;
      await client.upload('import', upload, 'email,name\nada@example.com,Ada\n').expect(200);
      expect((await client.launchEnded(upload)).status).toBe('finished');
      const exported = (await h.post(`/v1/data-syncs/${exporter}/launch`).expect(202)).body.run_id;
      expect((await client.launchEnded(exporter)).status).toBe('finished');
      expect(await names(`datasyncs/${upload}/uploads/`)).toHaveLength(1);
      expect(await names(`datasyncs/${exporter}/exports/`)).toHaveLength(1);
      const others = await names(`datasyncs/${bystander}/`);
      expect(others).toHaveLength(1);

      await h.delete(`/v1/data-syncs/${upload}`).expect(204);
      await h.delete(`/v1/data-syncs/${exporter}`).expect(204);
      expect(await names(`datasyncs/${upload}/`)).toEqual([]);
      expect(await names(`datasyncs/${exporter}/`)).toEqual([]);
      expect(await names(`datasyncs/${bystander}/`)).toEqual(others);
      // the launches stay in the run history
      await h.get(`/v1/runs/${exported}`).expect(200);
    });

    it('downloads the file of any launch, old ones too, and 404s for launches it does not have', async () => {
      const sent = ['email,name\nfirst@example.com,First\n', 'email,name\nsecond@example.com,Second\n', 'email,name\nthird@example.com,Third\n'];
      const ids: number[] = [];
      for (const csv of sent) {
        await client.upload('import', importer, csv).expect(200);
        ids.push((await client.launchEnded(importer)).id);
      }
      const first = await h.raw().get(`${API}/${importer}/${ids[0]}/download`).expect(200);
      expect(first.headers['content-type']).toMatch(/^text\/csv/);
      expect(first.headers['content-disposition']).toBe(`attachment; filename="launch-${ids[0]}.csv"`);
      expect(first.text).toBe(sent[0]);
      expect((await h.raw().get(`${API}/${importer}/${ids[2]}/download`).expect(200)).text).toBe(sent[2]);
      // a launch of another data sync, one that does not exist, and ids that are no launch ids
      await h.raw().get(`${API}/${deleter}/${ids[0]}/download`).expect(404);
      for (const launch of ['999999999', 'abc', '0', '-1', '1.5']) {
        const res = await h.raw().get(`${API}/${importer}/${launch}/download`).expect(404);
        expect(res.text).toMatch(/no launch/);
      }
      sql(db, "DELETE FROM customers WHERE email IN ('first@example.com', 'second@example.com', 'third@example.com')");
    });
  });

  describe('exports', () => {
    // Needs the data sync step.
    it('launches an export through /v1, then answers its CSV, escaping formulas, at /export and /download', async () => {
      sql(db, "INSERT INTO customers VALUES ('eve@example.com', '=HYPERLINK(\"http://x\")'), ('mallory@example.com', '+1'), ('trent@example.com', '@SUM(A1)')");
      const id = (await client.create({ name: 'Export now', kind: 'export', connection_id: crm, table: 'customers', auth: true })).id;
      const none = await h.raw().get(`${API}/export/${id}`).set('Authorization', `Bearer ${TOKEN}`).expect(404);
      expect(none.text).toMatch(/no finished export yet/);

      const launched = (await h.post(`/v1/data-syncs/${id}/launch`).expect(202)).body;
      expect(launched).toMatchObject({ id: expect.any(Number), run_id: expect.any(String), status: 'queued', trigger: 'manual' });
      const ended = await client.launchEnded(id, `Bearer ${TOKEN}`);
      expect(ended).toMatchObject({ id: launched.id, status: 'finished' });

      const csv = await h.raw().get(`${API}/export/${id}`).set('Authorization', `Bearer ${tokens.Operator}`).expect(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      const lines = csv.text.trim().split(/\r?\n/);
      expect(lines[0]).toBe('email,name');
      expect(lines).toContain('ada@example.com,Ada');
      expect(csv.text).toContain(`'=HYPERLINK`);
      expect(csv.text).toContain(`'+1`);
      expect(csv.text).toContain(`'@SUM(A1)`);
      expect((await h.raw().get(`${API}/${id}/${launched.id}/download`).set('Authorization', `Bearer ${TOKEN}`).expect(200)).text).toBe(csv.text);
      sql(db, "DELETE FROM customers WHERE email IN ('eve@example.com', 'mallory@example.com', 'trent@example.com')");
    });

    it('launches an export on a schedule, each second with a six-field cron', async () => {
      const id = (await client.create({ name: 'Every second', kind: 'export', connection_id: crm, table: 'customers', schedule: { enabled: true, cron: '* * * * * *' } })).id;
      expect((await client.status(id))['next-launch']).toMatch(PRISMA_TIME);
      const deadline = Date.now() + 10_000;
      let launches: Launch[] = [];
      while (launches.length < 2 && Date.now() < deadline) {
        await sleep(200);
        launches = (await h.raw().get(`${API}/${id}/latest-launches`).set('Accept', 'application/json').expect(200)).body;
      }
      expect(launches.length).toBeGreaterThanOrEqual(2);
      await h.put(`/v1/data-syncs/${id}`, { schedule: { enabled: false } }).expect(200);
      expect((await client.status(id))['next-launch']).toBeUndefined();
      const runs = (await h.get(`/api.rsc/v2/jobs/${id}/history`).expect(200)).body.value as Array<{ trigger: string }>;
      expect(runs.every((r) => r.trigger === 'schedule')).toBe(true);
      // Needs the data sync step: the scheduled exports finish and the latest one is served.
      await client.launchEnded(id);
      const finished = launches.find((l) => l.status === 'finished') ?? (await client.launchEnded(id));
      expect(finished.status).toBe('finished');
      expect((await h.raw().get(`${API}/export/${id}`).expect(200)).text).toMatch(/^email,name/);
    });
  });
});

describe('Prisma uploads queued behind a launch, and over the size limit (e2e)', () => {
  let h: Harness;
  let client: ReturnType<typeof prismaClient>;
  let crm: string;

  beforeAll(async () => {
    // No workers: launches stay queued until cancelled.
    h = await new Harness().start({ SLUICE_WORKERS: '0', SLUICE_MAX_UPLOAD_MB: '1' });
    client = prismaClient(h);
    crm = await h.connection('prisma', 'crm', 'sqlite', { path: join(h.files, 'crm.db') });
  });
  afterAll(() => h.destroy());

  it('answers 413 for a file over SLUICE_MAX_UPLOAD_MB and stores nothing', async () => {
    const id = (await client.create({ name: 'Limited', kind: 'import', connection_id: crm, table: 'customers' })).id;
    const res = await client.upload('import', id, Buffer.alloc(2 * 1024 * 1024, 'a')).expect(413);
    expect(res.text).toMatch(/larger than 1 MB \(SLUICE_MAX_UPLOAD_MB\)/);
    expect(await client.uploads(id)).toEqual([]);
    expect((await client.status(id))['latest-launch']).toBeUndefined();
    // the connection is still good for the next upload
    await client.upload('import', id, 'email\nok@example.com\n').expect(200);
    expect(await client.uploads(id)).toHaveLength(1);
  });

  it('queues a file sent while a launch waits (File queued, scheduled), and the next takes its turn when a cancel ends the first', async () => {
    const id = (await client.create({ name: 'Busy', kind: 'delete', connection_id: crm, table: 'customers', auth: true })).id;
    const issued = (await h.post(`/v1/data-syncs/${id}/tokens`).expect(201)).body.token;
    const auth = basic('api', issued);
    await client.upload('delete', id, 'email\na@example.com\n', auth).expect(200);
    const first = (await client.status(id, auth))['latest-launch']!;
    expect(first).toEqual({ id: expect.any(Number), status: 'scheduled', 'scheduled-time': expect.stringMatching(PRISMA_TIME) });
    expect((await client.upload('delete', id, 'email\nb@example.com\n', auth).expect(200)).text).toBe('File queued');
    expect(await client.uploads(id)).toHaveLength(2);
    const second = (await client.status(id, auth))['latest-launch']!;
    expect(second).toEqual({ id: expect.any(Number), status: 'scheduled', 'scheduled-time': expect.stringMatching(PRISMA_TIME) });
    expect(second.id).toBeGreaterThan(first.id);

    // A cancel of the job ends its active launch, the first; the second is next in line.
    const canceller = (await h.post('/v1/tokens', { name: 'ops-bot', roles: ['Operator'] }).expect(201)).body.token;
    await h.raw().post(`/api.rsc/v2/jobs/${id}/cancel`).set('Authorization', `Bearer ${canceller}`).expect(200);
    const launches = async (): Promise<Launch[]> => (await h.raw().get(`${API}/${id}/latest-launches`).set('Authorization', auth).set('Accept', 'application/json').expect(200)).body;
    expect(await launches()).toEqual([second, { ...first, status: 'cancelled', 'status-message': 'Cancelled by user: ops-bot' }]);
    expect((await h.get(`/api.rsc/v2/jobs/${id}/history`).expect(200)).body.value.find((r: { status: string }) => r.status === 'queued')).toBeDefined();

    // the file of the cancelled launch is still there to download; the next upload queues behind the second
    expect((await h.raw().get(`${API}/${id}/${first.id}/download`).set('Authorization', auth).expect(200)).text).toBe('email\na@example.com\n');
    await client.upload('delete', id, 'email\nc@example.com\n', auth).expect(200);
    expect((await launches()).map((l) => l.status)).toEqual(['scheduled', 'scheduled', 'cancelled']);

    // A waiting launch is cancelled on its own by its launch id (the run's number): it leaves the queue, the one ahead stays active.
    const active = (await h.get(`/api.rsc/v2/jobs/${id}/status`).expect(200)).body.active_run_id;
    const [third] = await launches();
    await h.raw().post(`/v1/runs/${third.id}/cancel`).set('Authorization', `Bearer ${canceller}`).expect(200);
    expect((await launches()).map((l) => l.status)).toEqual(['cancelled', 'scheduled', 'cancelled']);
    expect((await h.get(`/api.rsc/v2/jobs/${id}/status`).expect(200)).body).toMatchObject({ status: 'queued', active_run_id: active });
  });

  it('answers 409 to an upload for a disabled data sync, keeping no file', async () => {
    const id = (await client.create({ name: 'Switched off', kind: 'import', connection_id: crm, table: 'customers', enabled: false })).id;
    expect((await client.upload('import', id, 'email\nx@example.com\n').expect(409)).text).toBe(`Data sync ${id} is disabled and does not launch; enable it first`);
    expect(await client.uploads(id)).toEqual([]);
  });

  it("answers the seed's 5xx, in plain text, when the file store cannot take the upload, launching nothing", async () => {
    const id = (await client.create({ name: 'Store down', kind: 'import', connection_id: crm, table: 'customers' })).id;
    // Where the store writes an upload first made a plain file: every put fails (as root too, unlike a chmod).
    const partial = join(h.dataDir, 'files', '.partial');
    rmSync(partial, { recursive: true, force: true });
    writeFileSync(partial, 'not a directory');
    try {
      const res = await client.upload('import', id, 'email\nx@example.com\n');
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toMatch(/file store|cannot|ENOTDIR/i);
      expect((await client.status(id))['latest-launch']).toBeUndefined();
    } finally {
      rmSync(partial, { force: true });
      mkdirSync(partial);
    }
    await client.upload('import', id, 'email\nx@example.com\n').expect(200);
  });

  describe('an upload cut off before its end', () => {
    const partials = () => {
      const dir = join(h.dataDir, 'files', '.partial');
      return existsSync(dir) ? readdirSync(dir) : [];
    };
    /** Until the file store is writing the upload (or has it whole): the cut then comes after the server read some of it. */
    const storing = (id: string) => async () => {
      for (const deadline = Date.now() + 5_000; partials().length === 0 && (await client.uploads(id)).length === 0; await sleep(10)) {
        if (Date.now() > deadline) throw new Error('the upload never reached the file store');
      }
    };
    /** Nothing stored, nothing half-written left, no launch queued or even requested. */
    const leftNothing = async (id: string) => {
      for (const deadline = Date.now() + 5_000; partials().length > 0; await sleep(20)) {
        if (Date.now() > deadline) throw new Error(`partial files left: ${partials().join(', ')}`);
      }
      // a launch, were one wrongly started, has had the time to show
      await sleep(200);
      expect(await client.uploads(id)).toEqual([]);
      expect((await client.status(id))['latest-launch']).toBeUndefined();
      expect((await h.get(`/v1/data-syncs/${id}`).expect(200)).body.latest_launch).toBeNull();
      expect((await h.events(`job-${id}`)).map((e) => e.type)).not.toContain('RunRequested');
    };
    const headers = { 'Content-Type': formType, 'Content-Length': '500000' };

    it('mid-file, the client closing its side: no File queued, nothing kept, no launch', async () => {
      const id = (await client.create({ name: 'Cut mid-file', kind: 'import', connection_id: crm, table: 'customers' })).id;
      const answer = await rawRequest(h.url, { method: 'POST', path: `${API}/import/${id}`, headers }, [formHead(), 'email\n', 'a@example.com\n'.repeat(5000)], { cut: 'end', before: storing(id) });
      expect(answer).not.toMatch(/File queued|not sent/);
      expect(answer).not.toMatch(/^HTTP\/1\.1 2/);
      await leftNothing(id);
    });

    it('with the whole file sent but not the end of the form, the connection dropped: nothing kept, no launch', async () => {
      const id = (await client.create({ name: 'Cut before the form ends', kind: 'import', connection_id: crm, table: 'customers' })).id;
      const answer = await rawRequest(h.url, { method: 'POST', path: `${API}/import/${id}`, headers }, [formHead(), 'email\nb@example.com\n', `\r\n--${BOUNDARY}`], { cut: 'destroy', before: storing(id) });
      expect(answer).not.toMatch(/File queued|not sent/);
      await leftNothing(id);
      // the next, whole upload is taken
      await client.upload('import', id, 'email\nc@example.com\n').expect(200);
      expect(await client.uploads(id)).toHaveLength(1);
    });
  });

  // Last: it throttles this harness's address.
  it('answers 429 with Retry-After after too many wrong tokens, in plain text', async () => {
    const id = (await client.create({ name: 'Throttled', kind: 'import', connection_id: crm, table: 'customers', auth: true })).id;
    let res = await h.raw().get(`${API}/${id}`).set('Authorization', basic('api', 'wrong-0'));
    for (let i = 1; i < 20 && res.status === 403; i++) res = await h.raw().get(`${API}/${id}`).set('Authorization', basic('api', `wrong-${i}`));
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
  });
});

describe('Prisma uploads queued while a launch runs (e2e)', () => {
  let h: Harness;
  let server: TestPostgres;
  let client: ReturnType<typeof prismaClient>;
  let warehouse: string;
  let db: pg.Client;

  beforeAll(async () => {
    server = await startPostgres();
    db = new pg.Client(server.url);
    await db.connect();
    await db.query('CREATE TABLE customers (email TEXT PRIMARY KEY, name TEXT)');
    h = await new Harness().start();
    client = prismaClient(h);
    warehouse = await h.connection('prisma-pg', 'warehouse', 'postgres', { url: server.url });
  }, 60_000);
  afterAll(async () => {
    await db?.end();
    await h?.destroy();
    await server?.stop();
  });

  it('queues files sent while a launch runs and applies them after it, in the order they came', async () => {
    const id = (await client.create({ name: 'Running', kind: 'import', connection_id: warehouse, table: 'customers', key_columns: ['email'] })).id;
    // The table locked from here: the launch starts, then waits for the lock, running, until it is released.
    await db.query('BEGIN');
    await db.query('LOCK TABLE customers IN ACCESS EXCLUSIVE MODE');
    try {
      await client.upload('import', id, 'email,name\na@example.com,A\n').expect(200);
      for (const deadline = Date.now() + 10_000; (await client.status(id))['latest-launch']?.status !== 'running'; await sleep(20)) {
        if (Date.now() > deadline) throw new Error(`the launch is not running: ${JSON.stringify(await client.status(id))}`);
      }
      // Two more files while it runs: both queued, none lost, each a launch of its own waiting its turn.
      for (const name of ['A again', 'A at last']) {
        const queued = await client.upload('import', id, `email,name\na@example.com,${name}\nb@example.com,B ${name}\n`).expect(200);
        expect(queued.text).toBe('File queued');
      }
      expect(await client.uploads(id)).toHaveLength(3);
      const launches: Launch[] = (await h.raw().get(`${API}/${id}/latest-launches`).set('Accept', 'application/json').expect(200)).body;
      expect(launches.map((l) => l.status)).toEqual(['scheduled', 'scheduled', 'running']);
    } finally {
      await db.query('COMMIT');
    }
    for (const deadline = Date.now() + 20_000; ; await sleep(50)) {
      const launches: Launch[] = (await h.raw().get(`${API}/${id}/latest-launches`).set('Accept', 'application/json').expect(200)).body;
      if (launches.every((l) => l.status === 'finished')) break;
      if (Date.now() > deadline) throw new Error(`the queued launches did not finish: ${JSON.stringify(launches)}`);
    }
    // The last file came last: its values are the ones left.
    expect((await db.query('SELECT email, name FROM customers ORDER BY email')).rows).toEqual([
      { email: 'a@example.com', name: 'A at last' },
      { email: 'b@example.com', name: 'B A at last' },
    ]);
  }, 30_000);
});

describe('Prisma data syncs found from their own streams (e2e)', () => {
  let h: Harness;
  let client: ReturnType<typeof prismaClient>;
  let crm: string;

  beforeAll(async () => {
    h = await new Harness().start({ SLUICE_WORKERS: '0' });
    client = prismaClient(h);
    crm = await h.connection('prisma', 'crm', 'sqlite', { path: join(h.files, 'crm.db') });
  });
  afterAll(() => h.destroy());

  it('never 404s a data sync just created, and 404s one just deleted, whatever the read models have caught up with', async () => {
    const gone = await client.create({ name: 'Gone', kind: 'export', connection_id: crm, table: 'customers' });
    const runner = h.app.get(ProjectionRunner);
    await runner.stop();
    let fresh: string;
    try {
      // The read models stand still: they still have the deleted one, and not the new one.
      await h.delete(`/v1/data-syncs/${gone.id}`);
      await h.post('/v1/data-syncs', { name: 'Fresh', kind: 'export', connection_id: crm, table: 'customers' });
      const events = await h.app.get<EventStore>(EVENT_STORE).readAll({ maxCount: 10_000 });
      fresh = (events.find((e) => e.type === 'JobCreated' && (e.data as { name: string }).name === 'Fresh')!.data as { jobId: string }).jobId;

      const deleted = await h.raw().get(`${API}/${gone.id}`).expect(404);
      expect(deleted.text).toMatch(/not found/);
      // Not a 404: the data sync exists, its view is not ready yet.
      const behind = await h.raw().get(`${API}/${fresh}`);
      expect(behind.status).toBe(202);
      expect(behind.text).toMatch(/ask again shortly/);
    } finally {
      await runner.start();
    }
    expect(await client.status(fresh)).toEqual({ name: 'Fresh', status: 'enabled' });
    await h.raw().get(`${API}/${gone.id}`).expect(404);
  });
});

describe('Prisma uploads and the request timeout (e2e)', () => {
  // The server's timeouts made short, as 5 minutes and an hour are too long for a test: the upload's own stays an hour.
  const REQUEST_TIMEOUT_MS = 1_000;
  let h: Harness;
  let client: ReturnType<typeof prismaClient>;
  let crm: string;
  let defaultTimeout: number;

  beforeAll(async () => {
    h = new Harness();
    const app = await createApp(loadSettings({ SLUICE_DATA_DIR: h.dataDir, SLUICE_ADMIN_TOKEN: TOKEN }), { logger: false });
    const http = app.getHttpServer();
    defaultTimeout = http.requestTimeout;
    Object.assign(http, { requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 100 });
    await app.listen(0, '127.0.0.1');
    h.app = app;
    client = prismaClient(h);
    const db = join(h.files, 'crm.db');
    sql(db, 'CREATE TABLE customers (email TEXT PRIMARY KEY, name TEXT)');
    crm = await h.connection('prisma', 'crm', 'sqlite', { path: db });
  });
  afterAll(() => h.destroy());

  it("leaves Node's requestTimeout (5 minutes) on the server, for every route but uploads", () => {
    expect(defaultTimeout).toBe(300_000);
  });

  it('ends any other request that takes longer than the requestTimeout to arrive with a 408', async () => {
    const body = JSON.stringify({ name: 'Slow', kind: 'import', connection_id: crm, table: 'customers' });
    const parts = [body.slice(0, 10), body.slice(10, 20), body.slice(20, 30), body.slice(30)];
    const headers = { 'x-cdata-authtoken': TOKEN, 'Content-Type': 'application/json', 'Content-Length': String(body.length) };
    const answer = await rawRequest(h.url, { method: 'POST', path: '/v1/data-syncs', headers }, parts, { everyMs: 600 });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('takes an upload that arrives over longer than the requestTimeout', async () => {
    const id = (await client.create({ name: 'Slow link', kind: 'import', connection_id: crm, table: 'customers', key_columns: ['email'] })).id;
    const parts = [formHead(), 'email,name\n', 'ada@example.com,Ada\n', 'grace@example.com,Grace\n', formEnd];
    const length = parts.reduce((n, p) => n + Buffer.byteLength(p), 0);
    const started = Date.now();
    const answer = await rawRequest(h.url, { method: 'POST', path: `${API}/import/${id}`, headers: { 'Content-Type': formType, 'Content-Length': String(length) } }, parts, { everyMs: 600 });
    expect(Date.now() - started).toBeGreaterThan(2 * REQUEST_TIMEOUT_MS);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toMatch(/File queued$/);
    expect((await client.launchEnded(id)).status).toBe('finished');
  });
});
