import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt, SignJWT } from 'jose';
import pg from 'pg';
import { JwtClock } from '../../src/identity/jwt.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { Harness } from './app.harness.js';

const V2 = '/api.rsc/v2';
const TASKS = '/etl/rest/v1/tasks';
const PASSWORD = 'etlworks-test-password';
const SECRET = 'etlworks-e2e-secret-of-at-least-32-chars';
const FIELDS = [
  'requestId', 'owner', 'name', 'started', 'duration', 'code', 'type', 'tenant', 'language', 'latency', 'maxLatency', 'minLatency', 'avgLatency',
  'recordsProcessed', 'recordsProcessedSinceLastCheck', 'lastCheck', 'lastTimeRecordsReceivedDate',
];

type Task = Record<string, unknown> & { requestId: string; type: string; name: string; code: string; recordsProcessed: number; owner: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Etlworks: tokens, running tasks and flows (e2e)', () => {
  let h: Harness;
  let server: TestPostgres;
  let src: string;
  let warehouse: string;
  let dst: string;
  let addresses = 0;
  const jwt: Record<string, string> = {};

  /** Each test that means to fail sign-ins does so from an address of its own, so the throttle of one spares the others. */
  const fresh = () => `10.77.0.${++addresses}`;
  const as = (who: string, method: 'get' | 'post', url: string) => h.raw()[method](url).set('Authorization', `Bearer ${jwt[who]}`);
  const issue = (login: string, password: string, address = '127.0.0.1') => h.raw().post('/rest/v1/token-auth/issue').set('X-Forwarded-For', address).send({ login, password });

  async function job(name: string, body: object, from = src) {
    return (await h.post(`${V2}/workspaces/etl/jobs`, { name, source_connection_id: from, destination_connection_id: dst, ...body }).expect(201)).body as { id: string };
  }

  /** Polls every running task until `ready` holds for them. */
  async function tasksUntil(ready: (tasks: Task[]) => boolean): Promise<Task[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const tasks = (await as('admin', 'get', TASKS).expect(200)).body as Task[];
      if (ready(tasks)) return tasks;
      if (Date.now() > deadline) throw new Error(`The running tasks are still ${JSON.stringify(tasks).slice(0, 1000)}`);
      await sleep(100);
    }
  }

  async function statusUntil(flowId: string, auditId: number, codes: number[]) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const body = (await as('viewer', 'get', `/rest/v1/executions/${flowId}?auditId=${auditId}`).expect(200)).body;
      if (codes.includes(body.status)) return body;
      if (Date.now() > deadline) throw new Error(`execution ${auditId} is ${JSON.stringify(body)}`);
      await sleep(50);
    }
  }

  beforeAll(async () => {
    // A real PostgreSQL source: its rows arrive over the network a batch at a time, so a long run leaves the
    // server free to answer while it goes (a local CSV keeps the event loop busy between batches).
    server = await startPostgres();
    const client = new pg.Client(server.url);
    await client.connect();
    await client.query(`CREATE TABLE big AS SELECT g AS id, 'row-' || g AS payload FROM generate_series(1, 2000000) g`);
    await client.end();
    h = await new Harness().start({ SLUICE_JWT_SECRET: SECRET, SLUICE_TRUST_PROXY: 'loopback' });
    const files = join(h.files, 'etl');
    mkdirSync(files, { recursive: true });
    writeFileSync(join(files, 'small.csv'), 'id,name\n1,a\n2,b\n');
    src = await h.connection('etl', 'files', 'csv', { path: files });
    warehouse = await h.connection('etl', 'warehouse', 'postgres', { url: server.url });
    dst = await h.connection('etl', 'lake', 'sqlite', { path: join(h.files, 'lake.db') });
    for (const [login, role] of [['etl-admin', 'Administrator'], ['etl-operator', 'Operator'], ['etl-viewer', 'Viewer']] as const) {
      await h.post('/v1/users', { login, password: PASSWORD, roles: [role] }).expect(201);
      jwt[role === 'Administrator' ? 'admin' : role === 'Operator' ? 'operator' : 'viewer'] = (await issue(login, PASSWORD).expect(200)).body.token;
    }
  }, 60_000);
  afterAll(async () => {
    await h?.destroy();
    await server?.stop();
  });

  it('issues a JWT for a login and password, signed with SLUICE_JWT_SECRET, good for 10 minutes', async () => {
    const res = await issue('etl-viewer', PASSWORD).expect(200);
    expect(Object.keys(res.body)).toEqual(['token']);
    expect(res.headers['cache-control']).toBe('no-store');
    const claims = decodeJwt(res.body.token);
    expect(claims).toMatchObject({ iss: 'sluice', login: 'etl-viewer' });
    expect(claims.exp! - claims.iat!).toBe(600);
    // the token is the one the sign-in log saw, not the password
    const log = (await h.get('/v1/auth-events?actor=user:etl-viewer').expect(200)).body;
    expect(JSON.stringify(log)).not.toContain(PASSWORD);
  });

  it('answers 401 to a wrong login or password, 400 to a malformed body, and throttles like every sign-in', async () => {
    const address = fresh();
    for (const [login, password] of [['etl-viewer', 'wrong-password'], ['nobody', PASSWORD]]) {
      const res = await issue(login, password, address).expect(401);
      expect(res.body).toEqual({ status: 401, error: 'Unauthorized', message: 'The login or password is not valid' });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="Sluice"/);
    }
    const malformed = await h.raw().post('/rest/v1/token-auth/issue').send({ login: 'etl-viewer' }).expect(400);
    expect(malformed.body).toMatchObject({ status: 400, error: 'Bad Request', message: expect.stringContaining('password') });
    await h.raw().post('/rest/v1/token-auth/issue').send({ login: 'etl-viewer', password: PASSWORD, tenant: 1 }).expect(400);
    for (let i = 0; i < 8; i++) await issue('etl-viewer', `wrong-${i}`, address).expect(401);
    const throttled = await issue('etl-viewer', PASSWORD, address).expect(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect(throttled.body).toMatchObject({ status: 429, error: 'Too Many Requests', message: expect.stringContaining('Too many failed sign-ins') });
    // elsewhere the same user still signs in
    await issue('etl-viewer', PASSWORD).expect(200);
  });

  it('takes the token as a bearer header or an Authorization query parameter, on both paths with and without the trailing slash', async () => {
    for (const path of [TASKS, `${TASKS}/`, `${TASKS}/1`, `${TASKS}/1/`]) {
      expect((await as('admin', 'get', path).expect(200)).body).toEqual(expect.any(Array));
      await h.raw().get(path).query({ Authorization: `Bearer ${jwt.admin}` }).expect(200);
      await h.raw().get(`${path}?Authorization=Bearer%20${jwt.admin}&type=load`).expect(200);
    }
  });

  it('answers 401 to a missing, malformed, forged or expired token, in its error shape', async () => {
    const address = fresh();
    const refused = async (req: import('supertest').Test, message: RegExp) => {
      const res = await req.set('X-Forwarded-For', address).expect(401);
      expect(res.body).toEqual({ status: 401, error: 'Unauthorized', message: expect.stringMatching(message) });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    };
    await refused(h.raw().get(TASKS), /A token is required/);
    await refused(h.raw().get(TASKS).set('Authorization', `Basic ${Buffer.from(`etl-admin:${PASSWORD}`).toString('base64')}`), /not a bearer token/);
    await refused(h.raw().get(TASKS).set('Authorization', 'Bearer not-a-jwt'), /not a valid JWT/);
    // signed by anyone but this Sluice: the admin's own claims, another key
    const claims = decodeJwt(jwt.admin);
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('a-forger-s-secret-of-at-least-32-chars'));
    await refused(h.raw().get(TASKS).set('Authorization', `Bearer ${forged}`), /signature is not valid/);
    const [header, , signature] = jwt.viewer.split('.');
    const promoted = `${header}.${Buffer.from(JSON.stringify({ ...decodeJwt(jwt.viewer), sub: claims.sub })).toString('base64url')}.${signature}`;
    await refused(h.raw().get(TASKS).set('Authorization', `Bearer ${promoted}`), /signature is not valid/);
    await refused(h.raw().get(TASKS).query({ Authorization: `Bearer ${forged}` }), /signature is not valid/);
    // the clock moves, nobody waits: good until the tenth minute, refused from it on
    const clock = h.app.get(JwtClock);
    const issuedAt = decodeJwt(jwt.admin).iat! * 1000;
    try {
      clock.now = () => new Date(issuedAt + 599_000);
      await as('admin', 'get', TASKS).expect(200);
      clock.now = () => new Date(issuedAt + 600_000);
      await refused(as('admin', 'get', TASKS), /^The token has expired$/);
      await refused(h.raw().get(`/rest/v1/executions/console/download?flowId=${claims.sub}&auditId=1`).query({ Authorization: `Bearer ${jwt.admin}` }), /expired/);
    } finally {
      clock.now = JwtClock.prototype.now;
    }
    await as('admin', 'get', TASKS).expect(200);
  });

  it('answers 403 to a user without the Administrator role on the running tasks, and lets each role do what it may', async () => {
    const flow = await job('roles', { queries: ['REPLICATE [small]'] });
    for (const who of ['viewer', 'operator']) {
      for (const path of [TASKS, `${TASKS}/1/`]) {
        const res = await as(who, 'get', path).expect(403);
        expect(res.body).toEqual({ status: 403, error: 'Forbidden', message: expect.stringMatching(/Needs the Administrator role\. user:etl-\w+ has (Viewer|Operator)/) });
      }
    }
    await as('viewer', 'post', `/rest/v1/flows/${flow.id}/run`).expect(403);
    await as('viewer', 'get', `/rest/v1/executions/${flow.id}`).expect(200);
    const run = (await as('operator', 'post', `/rest/v1/flows/${flow.id}/run`).expect(200)).body;
    await statusUntil(flow.id, run.auditId, [4]);
    await as('viewer', 'get', `/rest/v1/executions/console/download?flowId=${flow.id}&auditId=${run.auditId}`).expect(200);
  });

  it('runs a flow and follows its status by audit id with Etlworks\' codes, and downloads its log', async () => {
    const flow = await job('small', { queries: ['REPLICATE [small]'] });
    const never = (await as('viewer', 'get', `/rest/v1/executions/${flow.id}`).expect(200)).body;
    expect(never).toEqual({ auditId: null, parentAuditId: null, retries: 0, flowId: flow.id, flowName: 'small', status: 3 });
    const run = (await as('operator', 'post', `/rest/v1/flows/${flow.id}/run`).send({}).expect(200)).body;
    expect(run).toEqual({ flowId: flow.id, messageUuid: null, auditId: expect.any(Number), status: expect.any(Number), exception: null });
    expect([0, 1, 4]).toContain(run.status);
    const done = await statusUntil(flow.id, run.auditId, [4]);
    expect(done).toEqual({ auditId: run.auditId, parentAuditId: null, retries: 0, flowId: flow.id, flowName: 'small', status: 4 });
    expect((await as('viewer', 'get', `/rest/v1/executions/${flow.id}`).expect(200)).body).toMatchObject({ auditId: run.auditId, status: 4 });

    const log = await as('viewer', 'get', `/rest/v1/executions/console/download?flowId=${flow.id}&auditId=${run.auditId}`).expect(200);
    expect(log.headers['content-type']).toMatch(/^text\/plain/);
    expect(log.headers['content-disposition']).toMatch(new RegExp(`^attachment; filename="?flow-${flow.id}-${run.auditId}\\.log"?$`));
    expect(log.text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}Task 1: replicating \[small\]/m);
    expect(log.text).toMatch(/wrote 2 rows/);

    const failing = await job('failing', { queries: ['REPLICATE [missing]'] });
    const failed = (await as('operator', 'post', `/rest/v1/flows/${failing.id}/run`).expect(200)).body;
    await statusUntil(failing.id, failed.auditId, [5]);

    // an audit id of another flow, or of none; a flow that does not exist; ids that are not ids
    await as('viewer', 'get', `/rest/v1/executions/${failing.id}?auditId=${run.auditId}`).expect(404);
    await as('viewer', 'get', `/rest/v1/executions/${flow.id}?auditId=999999999`).expect(404);
    await as('viewer', 'get', `/rest/v1/executions/console/download?flowId=${failing.id}&auditId=${run.auditId}`).expect(404);
    const unknown = '0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21';
    expect((await as('viewer', 'get', `/rest/v1/executions/${unknown}`).expect(404)).body).toMatchObject({ status: 404, error: 'Not Found' });
    await as('operator', 'post', `/rest/v1/flows/${unknown}/run`).expect(404);
    await as('viewer', 'get', '/rest/v1/executions/42').expect(400);
    await as('viewer', 'get', `/rest/v1/executions/${flow.id}?auditId=abc`).expect(400);
    await as('viewer', 'get', `/rest/v1/executions/console/download?flowId=${flow.id}`).expect(400);
    const variables = await as('operator', 'post', `/rest/v1/flows/${flow.id}/run`).send({ runDate: '2026-05-09' }).expect(400);
    expect(variables.body.message).toMatch(/take no variables \(runDate was sent\)/);
  });

  it('lists running tasks with live metrics: an extract and a load per step, an hwm for an incremental one, filtered by type', async () => {
    // 2,000,000 rows in batches of 100: some seconds of work each, with progress recorded every second
    const incremental = await job('incremental', { batch_size: 100, incremental_column: 'id', queries: ['REPLICATE [big]'] }, warehouse);
    const full = await job('full', { batch_size: 100, queries: ['REPLICATE [big_copy] SELECT * FROM big'] }, warehouse);
    const a = (await as('operator', 'post', `/rest/v1/flows/${incremental.id}/run`).expect(200)).body;
    const b = (await as('operator', 'post', `/rest/v1/flows/${full.id}/run`).expect(200)).body;
    // asking again while it runs answers the same execution
    expect((await as('operator', 'post', `/rest/v1/flows/${incremental.id}/run`).expect(200)).body.auditId).toBe(a.auditId);
    try {
      const moving = (tasks: Task[]) => tasks.length === 5 && tasks.every((t) => t.recordsProcessed > 0);
      await tasksUntil(moving);
      const ofRun = async (auditId: number, type = '', slash = '') => (await as('admin', 'get', `${TASKS}/${auditId}${slash}${type ? `?type=${type}` : ''}`).expect(200)).body as Task[];
      const first = await ofRun(a.auditId);
      // the same tasks with the trailing slash, as Etlworks writes the path
      expect((await ofRun(a.auditId, '', '/')).map((t) => t.requestId)).toEqual(first.map((t) => t.requestId));
      expect(first.map((t) => t.type)).toEqual(['extract', 'load', 'hwm']);
      for (const task of first) {
        expect(Object.keys(task).sort()).toEqual([...FIELDS].sort());
        expect(task).toMatchObject({
          owner: 'user:etl-operator',
          tenant: 'etl',
          language: null,
          started: expect.any(Number),
          duration: expect.any(Number),
          latency: expect.any(Number),
          maxLatency: expect.any(Number),
          minLatency: expect.any(Number),
          avgLatency: expect.any(Number),
          recordsProcessedSinceLastCheck: expect.any(Number),
          lastCheck: expect.any(Number),
          lastTimeRecordsReceivedDate: expect.any(Number),
        });
        expect(task.maxLatency as number).toBeGreaterThanOrEqual(task.minLatency as number);
        expect(task.started as number).toBeLessThanOrEqual(Date.now());
      }
      expect(first[0]).toMatchObject({ name: 'incremental: extract [big]', code: expect.stringMatching(/^Extracted \d+ records from \[big\], \d+ since the last check; ms per batch: min [\d.]+, avg [\d.]+, max [\d.]+; last id \d+$/) });
      expect(first[1]).toMatchObject({ name: 'incremental: load [big]', code: expect.stringMatching(/^Loaded \d+ records into \[big\]/) });
      expect(first[2]).toMatchObject({ name: 'incremental: high watermark of [big].id', code: expect.stringMatching(/^High watermark id = \d+ \(null when the run started\)$/) });
      expect((await as('viewer', 'get', `/rest/v1/executions/${incremental.id}?auditId=${a.auditId}`).expect(200)).body.status).toBe(1);

      // a second read, a second later: the run has moved on
      await sleep(1_100);
      const second = await ofRun(a.auditId);
      expect(second.map((t) => t.requestId)).toEqual(first.map((t) => t.requestId));
      expect(second[0].recordsProcessed).toBeGreaterThan(first[0].recordsProcessed);
      expect(second[0].duration as number).toBeGreaterThan(first[0].duration as number);
      expect(second[0].lastCheck as number).toBeGreaterThan(first[0].lastCheck as number);
      expect(second[2].code).not.toBe(first[2].code);

      // every running task of every flow, with and without the trailing slash, and each type
      expect((await ofRun(b.auditId)).map((t) => t.name)).toEqual(['full: extract [big]', 'full: load [big_copy]']);
      const names = (tasks: Task[]) => tasks.map((t) => t.name).sort();
      const everything = ['full: extract [big]', 'full: load [big_copy]', 'incremental: extract [big]', 'incremental: high watermark of [big].id', 'incremental: load [big]'];
      expect(names((await as('admin', 'get', `${TASKS}/`).expect(200)).body)).toEqual(everything);
      expect(names((await as('admin', 'get', TASKS).expect(200)).body)).toEqual(everything);
      const ofType = async (type: string) => names((await as('admin', 'get', `${TASKS}/?type=${type}`).expect(200)).body);
      expect(await ofType('extract')).toEqual(['full: extract [big]', 'incremental: extract [big]']);
      expect(await ofType('load')).toEqual(['full: load [big_copy]', 'incremental: load [big]']);
      expect(await ofType('hwm')).toEqual(['incremental: high watermark of [big].id']);
      expect(await ofType('stream')).toEqual([]);
      expect(await ofType('task')).toEqual([]);
      expect(await ofType('')).toEqual(everything);
      expect(names(await ofRun(a.auditId, 'load'))).toEqual(['incremental: load [big]']);
      expect(names(await ofRun(a.auditId, 'load', '/'))).toEqual(['incremental: load [big]']);
      expect(names(await ofRun(a.auditId, 'hwm', '/'))).toEqual(['incremental: high watermark of [big].id']);
      expect(await ofRun(b.auditId, 'hwm', '/')).toEqual([]);
      expect(await ofRun(b.auditId, 'hwm')).toEqual([]);
      for (const bad of ['cdc', 'EXTRACT', 'hwm&type=load']) {
        const res = await as('admin', 'get', `${TASKS}/${a.auditId}/?type=${bad}`).expect(400);
        expect(res.body).toMatchObject({ status: 400, error: 'Bad Request', message: expect.stringContaining('type must be one of stream, extract, load, task, hwm') });
      }
      await as('admin', 'get', `${TASKS}/?type=bogus`).expect(400);
      await as('admin', 'get', `${TASKS}/${a.auditId}/?since=1`).expect(400);
      // audit ids read as Prisma's launch ids are (one rule for a run number), with or without the slash
      for (const bad of ['not-a-number', '0', '007', '1.5']) for (const slash of ['', '/']) await as('admin', 'get', `${TASKS}/${bad}${slash}`).expect(400);
      expect((await as('admin', 'get', `${TASKS}/999999999/`).expect(200)).body).toEqual([]);
    } finally {
      await h.post(`${V2}/jobs/${incremental.id}/cancel`);
      await h.post(`${V2}/jobs/${full.id}/cancel`);
    }
    await statusUntil(incremental.id, a.auditId, [2]);
    await statusUntil(full.id, b.auditId, [2]);
    for (const path of [`${TASKS}/${a.auditId}`, `${TASKS}/${a.auditId}/`, TASKS, `${TASKS}/`]) expect((await as('admin', 'get', path).expect(200)).body).toEqual([]);
  }, 60_000);

  it('documents every route with its role and its own credential', async () => {
    const spec = (await h.get('/docs-json').expect(200)).body;
    const access = (path: string, method: string) => spec.paths[path][method]['x-sluice-access'];
    expect([
      access('/rest/v1/token-auth/issue', 'post'),
      access('/etl/rest/v1/tasks', 'get'),
      access('/etl/rest/v1/tasks/{audit_id}', 'get'),
      access('/rest/v1/flows/{job_id}/run', 'post'),
      access('/rest/v1/executions/{job_id}', 'get'),
      access('/rest/v1/executions/console/download', 'get'),
    ]).toEqual(['Public', 'Administrator', 'Administrator', 'Operator', 'Viewer', 'Viewer']);
    expect(spec.paths['/etl/rest/v1/tasks'].get.security).toEqual([{ 'etlworks-jwt': [] }, { 'etlworks-jwt-query': [] }]);
    expect(spec.components.securitySchemes['etlworks-jwt']).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(spec.paths['/etl/rest/v1/tasks'].get.responses['401'].content['application/json'].schema.example).toMatchObject({ status: 401, error: 'Unauthorized' });
  });
});
