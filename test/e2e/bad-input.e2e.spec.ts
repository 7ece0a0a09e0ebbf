import { EVENT_STORE, type EventStore } from '../../src/core/event-store.js';
import { Harness, TOKEN } from './app.harness.js';

const V2 = '/api.rsc/v2';
const deep = (levels: number, leaf: unknown = 1): unknown => {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
};

describe('bad input is a 400 (or 413/415) naming the field, never a 500 or a silent change (e2e)', () => {
  let h: Harness;
  let store: EventStore;
  let jobId: string;
  let taskId: string;

  beforeAll(async () => {
    h = await new Harness().start({ SLUICE_MAX_BODY_KB: '64', SLUICE_WORKERS: '0' });
    store = h.app.get<EventStore>(EVENT_STORE);
    const job = (await h.post(`${V2}/workspaces/bad/jobs`, { name: 'target', labels: ['a'], queries: ['REPLICATE [A]'] }).expect(201)).body;
    jobId = job.id;
    taskId = job.tasks[0].id;
  });
  afterAll(() => h.destroy());

  /** Sends a request that must be refused with `status` naming `field`, and checks that nothing was appended. */
  async function refused(send: () => PromiseLike<{ status: number; body: { error?: { code: string; message: string; field?: string } } }>, status: number, field?: string) {
    const before = await store.lastPosition();
    const res = await send();
    expect({ status: res.status, field: res.body.error?.field }).toEqual({ status, field });
    expect(res.body.error?.message).toEqual(expect.any(String));
    expect(await store.lastPosition()).toBe(before);
    return res.body.error!;
  }
  const raw = (method: 'post' | 'put', path: string, type: string, text: string) =>
    h.raw()[method](path).set('x-cdata-authtoken', TOKEN).set('content-type', type).send(text);

  it('refuses null where a value is required, instead of crashing on it', async () => {
    await refused(() => h.post(`${V2}/workspaces/bad/jobs`, { name: null }), 400, 'name');
    await refused(() => h.put(`${V2}/jobs/${jobId}`, { name: null }), 400, 'name');
    await refused(() => h.put(`${V2}/jobs/${jobId}`, { cron: null }), 400, 'cron');
    await refused(() => h.put(`${V2}/jobs/${jobId}`, { schedule: { cron: null } }), 400, 'schedule.cron');
    await refused(() => h.put(`${V2}/jobs/${jobId}`, { schedule: null }), 400, 'schedule');
    await refused(() => h.post(`${V2}/jobs/${jobId}/tasks`, { query: null }), 400, 'query');
    await refused(() => h.put(`${V2}/jobs/${jobId}/tasks/${taskId}`, { query: null }), 400, 'query');
  });

  it('refuses the nulls that used to change state silently, and leaves the job as it was', async () => {
    const before = (await h.get(`${V2}/jobs/${jobId}`).expect(200)).body;
    const cases: Array<[object, string]> = [
      [{ type: null }, 'type'],
      [{ labels: null }, 'labels'],
      [{ verbosity: null }, 'verbosity'],
      [{ truncate_table_data: null }, 'truncate_table_data'],
      [{ schedule: { enabled: null } }, 'schedule.enabled'],
    ];
    for (const [body, field] of cases) {
      const error = await refused(() => h.put(`${V2}/jobs/${jobId}`, body), 400, field);
      expect(error.message).toContain(`${field} must not be null`);
    }
    await refused(() => h.put(`${V2}/jobs/${jobId}/tasks/${taskId}`, { is_active: null }), 400, 'is_active');
    await refused(() => h.post(`${V2}/jobs/${jobId}/tasks`, { query: 'REPLICATE [B]', is_active: null }), 400, 'is_active');
    expect((await h.get(`${V2}/jobs/${jobId}`).expect(200)).body).toEqual(before);
  });

  it('still lets null clear a value the job may leave empty', async () => {
    const job = (await h.post(`${V2}/workspaces/bad/jobs`, { name: 'clearable', email_to: 'ops@example.com' }).expect(201)).body;
    const cleared = await h.put(`${V2}/jobs/${job.id}`, { email_to: null }).expect(200);
    expect(cleared.body.email_to).toBeNull();
  });

  it('refuses __proto__, constructor and prototype keys at any depth, in JSON, EDN and query strings', async () => {
    const json = (text: string) => () => raw('post', `${V2}/workspaces/bad/jobs`, 'application/json', text);
    await refused(json('{"name":"p1","__proto__":{"type":"ReverseETL"}}'), 400, '__proto__');
    await refused(json('{"name":"p2","constructor":{"prototype":{"x":1}}}'), 400, 'constructor');
    await refused(json('{"name":"p3","schedule":{"__proto__":{"enabled":true}}}'), 400, 'schedule.__proto__');
    await refused(json('{"name":"p4","cdc_engine_settings":{"a":{"prototype":1}}}'), 400, 'cdc_engine_settings.a.prototype');
    await refused(() => raw('post', `${V2}/workspaces/bad/jobs`, 'application/edn', '{:name "p5" "__proto__" {:type "ReverseETL"}}'), 400, '__proto__');
    await refused(() => h.get(`${V2}/workspaces/bad/jobs?__proto__=1`), 400, '__proto__');
    await refused(() => h.get(`${V2}/workspaces/bad/jobs?constructor=1`), 400, 'constructor');
    expect((await h.get(`${V2}/workspaces/bad/jobs`).expect(200)).body.value.map((j: { name: string }) => j.name)).not.toContain('p1');
  });

  it('names the field of every validation error, unknown and repeated keys included', async () => {
    await refused(() => h.post(`${V2}/workspaces/bad/jobs`, { name: 'u', foo: 1 }), 400, 'foo');
    await refused(() => h.post(`${V2}/workspaces/bad/jobs`, { name: 'u', schedule: { foo: 1 } }), 400, 'schedule.foo');
    await refused(() => h.post(`${V2}/workspaces/bad/jobs`, { name: 'u', batch_size: 'lots' }), 400, 'batch_size');
    await refused(() => h.post(`${V2}/workspaces/bad/jobs`, { name: 'a', Name: 'b' }), 400, 'name');
    await refused(() => h.get(`${V2}/workspaces/bad/jobs?limit=0`), 400, 'limit');
  });

  it('limits names to 200 characters and queries to 10,000, and refuses NUL bytes anywhere', async () => {
    await refused(() => h.post(`${V2}/workspaces/bad/jobs`, { name: 'n'.repeat(201) }), 400, 'name');
    await h.post(`${V2}/workspaces/bad/jobs`, { name: 'n'.repeat(200) }).expect(201);
    await refused(() => h.post(`${V2}/workspaces/bad/connections`, { name: 'c'.repeat(201), kind: 'csv', settings: { path: '/tmp/x' } }), 400, 'name');
    await refused(() => h.post(`${V2}/jobs/${jobId}/tasks`, { query: `REPLICATE [A] ${' '.repeat(10_000)}` }), 400, 'query');
    await refused(() => h.post(`${V2}/workspaces/bad/jobs`, { name: 'q', queries: [`REPLICATE [A]${' '.repeat(10_000)}`] }), 400, 'queries');
    await refused(() => h.post(`${V2}/workspaces/bad/jobs`, { name: 'nul\u0000name' }), 400, 'name');
    await refused(() => h.post(`${V2}/workspaces/bad/jobs`, { name: 'ok', labels: ['a\u0000'] }), 400, 'labels.0');
    await refused(() => h.post(`${V2}/workspaces/bad%00ws/jobs`, { name: 'ok' }), 400, 'workspace_id');
    await refused(() => h.get(`${V2}/workspaces/bad/jobs?cursor=a%00b`), 400, 'cursor');
  });

  it('caps nesting at 32 levels: 2,000 deep is a 400, not a crash', async () => {
    await refused(() => h.post(`${V2}/workspaces/bad/jobs`, { name: 'deep', cdc_engine_settings: deep(2000) }), 400, `cdc_engine_settings${'.a'.repeat(31)}`);
    await refused(() => raw('post', `${V2}/workspaces/bad/jobs`, 'application/json', '['.repeat(2000) + ']'.repeat(2000)), 400, undefined);
    await refused(() => raw('post', `${V2}/workspaces/bad/jobs`, 'application/edn', `{:name "deep" :cdc_engine_settings ${'['.repeat(2000)}${']'.repeat(2000)}}`), 400, `cdc_engine_settings${'.0'.repeat(31)}`);
    await h.post(`${V2}/workspaces/bad/jobs`, { name: 'deep-enough', cdc_engine_settings: deep(30) }).expect(201);
  });

  it('answers 413 for a body over SLUICE_MAX_BODY_KB and 415 for one that is neither JSON nor EDN, in the error shape', async () => {
    const big = await refused(() => h.post(`${V2}/workspaces/bad/jobs`, { name: 'big', email_subject: 'x'.repeat(70 * 1024) }), 413);
    expect(big).toMatchObject({ code: 'BODY.TOO_LARGE', message: expect.stringContaining('64 KB') });
    for (const [type, text] of [
      ['text/plain', 'name=x'],
      ['application/xml', '<job><name>x</name></job>'],
      ['application/x-www-form-urlencoded', 'name=x'],
    ]) {
      const error = await refused(() => raw('post', `${V2}/workspaces/bad/jobs`, type, text), 415);
      expect(error).toMatchObject({ code: 'BODY.UNSUPPORTED_TYPE', message: expect.stringMatching(/application\/json.*application\/edn/) });
    }
    await h.raw().post(`${V2}/jobs/${jobId}/cancel`).set('x-cdata-authtoken', TOKEN).set('content-type', 'text/plain').send('ignored').expect(409);
    // An empty body is no body to refuse: the request reaches the command (this job has nothing to run).
    const empty = await h.raw().post(`${V2}/jobs/${jobId}/execute`).set('x-cdata-authtoken', TOKEN).set('content-type', 'text/plain').set('content-length', '0');
    expect(empty.body.error).toMatchObject({ code: 'JOB.NOT_RUNNABLE' });
    await refused(() => raw('post', `${V2}/workspaces/bad/jobs`, 'application/json', '[]'), 400);
    await refused(() => raw('post', `${V2}/workspaces/bad/jobs`, 'application/json', '{"name": '), 400);
  });

  it('refuses EDN values that cannot be stored, naming the field', async () => {
    const edn = (text: string) => () => raw('post', `${V2}/workspaces/bad/jobs`, 'application/edn', text);
    await refused(edn('{:name "e1" :batch_size 1N}'), 400, 'batch_size');
    await refused(edn('{:name "e2" :cdc_engine_settings {:big 12345678901234567890N}}'), 400, 'cdc_engine_settings.big');
    await refused(edn('{:name "e3" :cdc_engine_settings {:x ##NaN}}'), 400, 'cdc_engine_settings.x');
    await refused(edn('{:name "e4" :labels [##Inf]}'), 400, 'labels.0');
    await refused(edn('{:name "e5" :pipeline_id #inst "2026-01-01"}'), 400, 'pipeline_id');
    await refused(edn('{:name "e6" :labels #{{:a 1}}}'), 400, 'labels');
    await refused(edn('{:name "e7" :pipeline_id some-symbol}'), 400, 'pipeline_id');
    await refused(edn('{:name "e8" :batch_size}'), 400, 'batch_size');
    await refused(edn('{:name "e9"} {:name "e10"}'), 400);
    const ok = await raw('post', `${V2}/workspaces/bad/jobs`, 'application/edn', '{:name "e11" :labels #{"a" :b} :batch_size 5}').expect(201);
    expect(ok.body).toMatchObject({ name: 'e11', labels: expect.arrayContaining(['a', 'b']), batch_size: 5 });
  });
});
