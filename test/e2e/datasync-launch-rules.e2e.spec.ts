import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EVENT_STORE, type EventStore } from '../../src/core/event-store.js';
import { Harness } from './app.harness.js';

const V2 = '/api.rsc/v2';
const API = '/api/data-sync';
const PASSWORD = 'launch-rules-password';
const SECRET = 'launch-rules-e2e-secret-of-at-least-32-chars';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Imports and deletes run on an uploaded file: Prisma's upload launches them, and every other way to start a
 * job (CData execute, an Etlworks flow run, a cron schedule) is refused in that API's own error shape.
 */
describe('data sync launch rules (e2e)', () => {
  let h: Harness;
  let db: string;
  let crm: string;
  let jwt: string;
  const ids: Record<'import' | 'delete' | 'export', string> = { import: '', delete: '', export: '' };

  const count = () => (new Database(db).prepare('SELECT count(*) AS n FROM customers').get() as { n: number }).n;
  const history = async (id: string) => (await h.get(`${V2}/jobs/${id}/history`).expect(200)).body.value as Array<{ id: string; status: string }>;

  beforeAll(async () => {
    h = await new Harness().start({ SLUICE_JWT_SECRET: SECRET });
    db = join(h.files, 'crm.db');
    const setup = new Database(db);
    setup.exec("CREATE TABLE customers (email TEXT PRIMARY KEY, name TEXT); INSERT INTO customers VALUES ('ada@example.com', 'Ada')");
    setup.close();
    crm = await h.connection('rules', 'crm', 'sqlite', { path: db });
    for (const kind of ['import', 'delete', 'export'] as const) {
      ids[kind] = (await h.post('/v1/data-syncs', { name: `Rules ${kind}`, kind, connection_id: crm, table: 'customers' }).expect(201)).body.id;
    }
    await h.post('/v1/users', { login: 'rules-operator', password: PASSWORD, roles: ['Operator'] }).expect(201);
    jwt = (await h.raw().post('/rest/v1/token-auth/issue').send({ login: 'rules-operator', password: PASSWORD }).expect(200)).body.token;
  });
  afterAll(() => h.destroy());

  it('refuses a CData execute of an import or delete with a 400 JOB.NEEDS_FILE, queuing nothing', async () => {
    for (const kind of ['import', 'delete'] as const) {
      const res = await h.post(`${V2}/jobs/${ids[kind]}/execute`, {}).expect(400);
      expect(res.body).toEqual({ error: { code: 'JOB.NEEDS_FILE', message: expect.stringMatching(/runs only on an uploaded file/), field: 'file' } });
      expect(await history(ids[kind])).toEqual([]);
    }
    expect(count()).toBe(1);
  });

  it('refuses an Etlworks flow run of an import or delete with a 400 in the Etlworks shape', async () => {
    for (const kind of ['import', 'delete'] as const) {
      const res = await h.raw().post(`/rest/v1/flows/${ids[kind]}/run`).set('Authorization', `Bearer ${jwt}`).expect(400);
      expect(res.body).toEqual({ status: 400, error: 'Bad Request', message: expect.stringMatching(/runs only on an uploaded file/) });
      expect(await history(ids[kind])).toEqual([]);
    }
  });

  it("refuses a CData task added, changed or deleted on a data sync (its one task is applied all or nothing), changing nothing", async () => {
    for (const kind of ['import', 'delete', 'export'] as const) {
      const before = (await h.get(`${V2}/jobs/${ids[kind]}`).expect(200)).body.tasks;
      const added = await h.post(`${V2}/jobs/${ids[kind]}/tasks`, { query: 'REPLICATE [orders]' }).expect(400);
      expect(added.body.error).toMatchObject({ code: 'JOB.TASKS_DECLARED', message: expect.stringMatching(/\/v1\/data-syncs/) });
      await h.put(`${V2}/jobs/${ids[kind]}/tasks/${before[0].id}`, { query: 'REPLICATE [orders]' }).expect(400);
      await h.delete(`${V2}/jobs/${ids[kind]}/tasks/${before[0].id}`).expect(400);
      expect((await h.get(`${V2}/jobs/${ids[kind]}`).expect(200)).body.tasks).toEqual(before);
    }
  });

  it('still launches an import through the Prisma upload, and an export through any API', async () => {
    await h.raw().post(`${API}/import/${ids.import}`).attach('file', Buffer.from('email,name\ngrace@example.com,Grace\n'), { filename: 'data.csv', contentType: 'text/csv' }).expect(200);
    const [launch] = await history(ids.import);
    expect((await h.waitForRun(ids.import, launch.id)).status).toBe('succeeded');
    expect(count()).toBe(2);
    const run = (await h.post(`${V2}/jobs/${ids.export}/execute`, {}).expect(202)).body;
    expect((await h.waitForRun(ids.export, run.id)).status).toBe('succeeded');
  });

  it('refuses to turn a schedule on for an import or delete through CData PUT, and takes one for an export', async () => {
    const schedule = { enabled: true, cron: '0 2 * * *' };
    for (const kind of ['import', 'delete'] as const) {
      const res = await h.put(`${V2}/jobs/${ids[kind]}`, { schedule }).expect(400);
      expect(res.body.error).toMatchObject({ code: 'JOB.SCHEDULE_NOT_ALLOWED', field: 'schedule' });
      expect((await h.get(`${V2}/jobs/${ids[kind]}`).expect(200)).body).toMatchObject({ schedule: { enabled: false }, next_run_at: null });
    }
    const exported = (await h.put(`${V2}/jobs/${ids.export}`, { schedule }).expect(200)).body;
    expect(exported).toMatchObject({ schedule: { enabled: true, cron: '0 2 * * *' }, next_run_at: expect.any(String) });
    await h.put(`${V2}/jobs/${ids.export}`, { schedule: { enabled: false } }).expect(200);
  });

  it('never fires a schedule an import stored before the rule: no run, no event, no next run shown', async () => {
    // As an older Sluice could have stored it: every second, on an import.
    const store = h.app.get<EventStore>(EVENT_STORE);
    const stream = `job-${ids.import}`;
    const last = await store.readLast(stream);
    const metadata = { actor: 'seed', correlationId: 'legacy-schedule', occurredAt: new Date().toISOString(), schemaVersion: 1 };
    await store.append(stream, [{ id: randomUUID(), type: 'JobUpdated', data: { jobId: ids.import, changes: { schedule: { enabled: true, cron: '* * * * * *' } } }, metadata }], last!.revision);
    for (let i = 0; i < 100 && !(await h.get(`${V2}/jobs/${ids.import}`)).body.schedule.enabled; i++) await sleep(20);
    const before = (await h.events(stream)).length;
    const launches = (await history(ids.import)).length;

    await sleep(2500);
    expect((await h.events(stream)).length).toBe(before);
    expect((await history(ids.import)).length).toBe(launches);
    expect((await h.get(`${V2}/jobs/${ids.import}`).expect(200)).body).toMatchObject({ schedule: { enabled: true }, next_run_at: null });
    expect((await h.raw().get(`${API}/${ids.import}`).set('Accept', 'application/json').expect(200)).body['next-launch']).toBeUndefined();
    // The job is still usable: its name can change without turning the stored schedule off first.
    await h.put(`${V2}/jobs/${ids.import}`, { name: 'Rules import renamed' }).expect(200);
  });
});
