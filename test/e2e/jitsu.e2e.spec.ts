import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { EVENT_STORE, type EventStore } from '../../src/core/event-store.js';
import { decideAndAppend } from '../../src/core/write-path.js';
import { runDecider, runStream } from '../../src/runs/run.decider.js';
import { SilentPostgres } from '../support/silent-postgres.js';
import { Harness, TOKEN } from './app.harness.js';

const ADMIN = 'jitsu-admin-token';
const PASSWORD = 's3cr3t-config-pw';
const TASKS = '/api/v1/tasks';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const JITSU_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

type Task = { id: string; status: string; created_at: string; started_at?: string; finished_at?: string; priority: number };

function rows(file: string, sql: string): unknown[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

/** The config file of these tests: one CSV source into two SQLite destinations, and a source that never answers. */
function config(files: string, silentPort: number, extra = ''): string {
  return `
server:
  name: test
  admin_token: ${ADMIN}
destinations:
  lake:
    type: sqlite
    datasource: { path: ${join(files, 'lake.db')} }
  backup:
    type: sqlite
    datasource: { path: ${join(files, 'backup.db')} }
  spare:
    type: sqlite
    datasource: { path: ${join(files, 'spare.db')} }
sources:
  crm:
    type: csv
    config: { path: ${join(files, 'crm')} }
    destinations: [lake, backup]
    collections:
      - name: people
        table_name: crm_people
      - name: leads
        parameters: { query: "SELECT id, email FROM [leads] WHERE id > 1" }
${extra}
  slow:
    type: postgres
    config: { host: 127.0.0.1, port: ${silentPort}, db: db, username: u, password: ${PASSWORD} }
    destinations: [lake]
    collections: [accounts]
`;
}

describe('Jitsu sync tasks (e2e)', () => {
  let h: Harness;
  let silent: SilentPostgres;
  let file: string;
  const jitsu = () => ({
    get: (path: string) => h.raw().get(path).set('X-Admin-Token', ADMIN),
    post: (path: string) => h.raw().post(path).set('X-Admin-Token', ADMIN),
  });

  async function waitFor(taskId: string, statuses: string[]): Promise<Task> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await jitsu().get(`${TASKS}/${taskId}`);
      if (res.status === 200 && statuses.includes(res.body.status)) return res.body;
      if (Date.now() > deadline) throw new Error(`${taskId} did not reach ${statuses.join('/')}: ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    silent = await new SilentPostgres('session').start();
    h = new Harness();
    mkdirSync(join(h.files, 'crm'), { recursive: true });
    writeFileSync(join(h.files, 'crm', 'people.csv'), 'id,name\n1,Ada\n2,Grace\n3,Linus\n');
    writeFileSync(join(h.files, 'crm', 'leads.csv'), 'id,email\n1,a@x.io\n2,b@x.io\n3,c@x.io\n');
    file = join(h.files, 'sluice.yaml');
    writeFileSync(file, config(h.files, silent.port));
    await h.start({ SLUICE_CONFIG: file });
  });

  afterAll(async () => {
    await h.destroy();
    await silent.stop();
  });

  it('refuses a missing or wrong admin token with Jitsu\'s 401, and takes it as query parameter or header', async () => {
    for (const res of [await h.raw().post(`${TASKS}?source=crm&collection=people`), await h.raw().get(`${TASKS}?source=crm&start=2020-01-01T00:00:00Z&end=2030-01-01T00:00:00Z&token=nope`)]) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ message: 'Admin token does not match' });
    }
    const range = 'start=2020-01-01T00:00:00Z&end=2030-01-01T00:00:00Z';
    await h.raw().get(`${TASKS}?source=crm&${range}&token=${ADMIN}`).expect(200);
    await h.raw().get(`${TASKS}?source=crm&${range}`).set('X-Admin-Token', ADMIN).expect(200);
    // The query parameter wins over the header, as in Jitsu.
    await h.raw().get(`${TASKS}?source=crm&${range}&token=nope`).set('X-Admin-Token', ADMIN).expect(401);
    // Any Sluice token works too: an Operator's for everything, a Viewer's for reads only.
    await h.raw().get(`${TASKS}?source=crm&${range}`).set('X-Admin-Token', TOKEN).expect(200);
    const viewer = (await h.post('/v1/tokens', { name: 'jitsu-reader', roles: ['Viewer'] }).expect(201)).body.token;
    await h.raw().get(`${TASKS}?source=crm&${range}&token=${viewer}`).expect(200);
    const refused = await h.raw().post(`${TASKS}?source=crm&collection=people&token=${viewer}`).expect(403);
    expect(refused.body).toMatchObject({ message: expect.stringContaining('Operator'), error: 'FORBIDDEN' });
  });

  it('answers the seed\'s errors for an unknown source or collection and for missing parameters', async () => {
    const unknownSource = await jitsu().post(`${TASKS}?source=jitsu_firebase&collection=users`).expect(400);
    expect(unknownSource.body).toEqual({ message: 'Error getting source', error: "Source [jitsu_firebase] doesn't exist" });
    const unknownCollection = await jitsu().post(`${TASKS}?source=crm&collection=nope`).expect(400);
    expect(unknownCollection.body).toEqual({ message: 'Error getting collection', error: "Collection [nope] doesn't exist in source [crm]" });
    const range = 'start=2020-01-01T00:00:00Z&end=2030-01-01T00:00:00Z';
    expect((await jitsu().get(`${TASKS}?source=jitsu_firebase_auth_uses&${range}`).expect(400)).body).toEqual({
      message: 'Error getting source',
      error: "Source [jitsu_firebase_auth_uses] doesn't exist",
    });
    expect((await jitsu().post(`${TASKS}?collection=people`).expect(400)).body).toEqual({ message: "'source' is required query parameter" });
    expect((await jitsu().get(`${TASKS}?source=crm&end=2030-01-01T00:00:00Z`).expect(400)).body).toEqual({ message: "'start' is required query parameter" });
    const unparsable = await jitsu().get(`${TASKS}?source=crm&start=yesterday&end=2030-01-01T00:00:00Z`).expect(400);
    expect(unparsable.body.message).toMatch(/^Error parsing 'start' query parameter/);
    expect((await jitsu().get(`${TASKS}?source=crm&${range}&status=done`).expect(400)).body.error).toMatch(/Unknown status: done/);
    expect((await jitsu().get(`${TASKS}/crm_people_00000000-0000-4000-8000-000000000000`).expect(400)).body.message).toBe('Tasks gathering failed');
    expect((await jitsu().get(`${TASKS}/anything`).expect(400)).body.message).toBe('Tasks gathering failed');
  });

  it('runs a task into both destinations of its source, with Jitsu\'s task fields and log lines', async () => {
    const created = await jitsu().post(`${TASKS}?source=crm&collection=people`).expect(201);
    expect(created.body.task_id).toMatch(new RegExp(`^crm_people_${UUID}$`));
    const task = await waitFor(created.body.task_id, ['SUCCESS', 'FAILED']);
    expect(task).toMatchObject({ id: created.body.task_id, source: 'crm', collection: 'people', status: 'SUCCESS' });
    for (const time of [task.created_at, task.started_at, task.finished_at]) expect(time).toMatch(JITSU_TIME);
    expect(task.priority).toBe(300 * 10 ** 12 - Math.floor(Date.parse(task.created_at) / 1000));
    for (const db of ['lake.db', 'backup.db']) {
      expect(rows(join(h.files, db), 'SELECT id, name FROM crm_people ORDER BY id')).toEqual([
        { id: 1, name: 'Ada' },
        { id: 2, name: 'Grace' },
        { id: 3, name: 'Linus' },
      ]);
    }
    const { logs } = (await jitsu().get(`${TASKS}/${task.id}/logs`).expect(200)).body as { logs: Array<{ time: string; message: string; level: string; system: string }> };
    expect(logs.length).toBeGreaterThan(2);
    for (const line of logs) {
      expect(line.message.startsWith(`[${task.id}] `)).toBe(true);
      expect(line).toMatchObject({ time: expect.stringMatching(JITSU_TIME), system: 'Sluice', level: expect.stringMatching(/^(info|warn|error|debug)$/) });
    }
    expect(logs.map((l) => l.time)).toEqual([...logs.map((l) => l.time)].sort());
    expect(logs.at(-1)!.message).toMatch(new RegExp(`^\\[${task.id}\\] FINISHED SUCCESSFULLY in \\[\\d+\\.\\d\\d\\] seconds \\(~ \\d+\\.\\d\\d minutes\\)$`));
    // A range of the log: only the lines at or after the last one's time.
    const tail = (await jitsu().get(`${TASKS}/${task.id}/logs?start=${encodeURIComponent(logs.at(-1)!.time)}`).expect(200)).body.logs;
    expect(tail.length).toBeGreaterThanOrEqual(1);
    expect(tail.every((l: { time: string }) => l.time >= logs.at(-1)!.time)).toBe(true);
    // The collection's own query ran: only rows above id 1.
    const leads = await jitsu().post(`${TASKS}?source=crm&collection=leads`).expect(201);
    await waitFor(leads.body.task_id, ['SUCCESS']);
    expect(rows(join(h.files, 'lake.db'), 'SELECT id FROM crm_leads ORDER BY id')).toEqual([{ id: 2 }, { id: 3 }]);
  });

  it('lists the tasks created in a time range, both ends inclusive, by collection, status and limit', async () => {
    const first = (await jitsu().post(`${TASKS}?source=crm&collection=people`).expect(201)).body.task_id;
    const done = await waitFor(first, ['SUCCESS']);
    const at = done.created_at;
    const shift = (ms: number) => encodeURIComponent(new Date(Date.parse(at) + ms).toISOString());
    const list = async (query: string) => ((await jitsu().get(`${TASKS}?source=crm&${query}`).expect(200)).body.tasks as Task[]).map((t) => t.id);
    expect(await list(`start=${encodeURIComponent(at)}&end=${encodeURIComponent(at)}`)).toEqual([first]);
    expect(await list(`start=${shift(1)}&end=${shift(60_000)}`)).not.toContain(first);
    expect(await list(`start=${shift(-60_000)}&end=${shift(-1)}`)).not.toContain(first);
    const everything = await list('start=2020-01-01T00:00:00Z&end=2030-01-01T00:00:00Z');
    expect(everything).toContain(first);
    const all = (await jitsu().get(`${TASKS}?source=crm&start=2020-01-01T00:00:00Z&end=2030-01-01T00:00:00Z`).expect(200)).body.tasks as Task[];
    expect(all.map((t) => t.created_at)).toEqual([...all.map((t) => t.created_at)].sort());
    expect(new Set(all.map((t) => (t as unknown as { collection: string }).collection))).toEqual(new Set(['people', 'leads']));
    expect(await list('collection=leads&start=2020-01-01T00:00:00Z&end=2030-01-01T00:00:00Z')).toHaveLength(1);
    expect(await list('status=failed&start=2020-01-01T00:00:00Z&end=2030-01-01T00:00:00Z')).toEqual([]);
    expect(await list('status=SUCCESS&limit=2&start=2020-01-01T00:00:00Z&end=2030-01-01T00:00:00Z')).toEqual(everything.slice(0, 2));
  });

  it('cancels a running task: it ends CANCELED with the warn line, and never turns FAILED', async () => {
    const { task_id } = (await jitsu().post(`${TASKS}?source=slow&collection=accounts`).expect(201)).body;
    await waitFor(task_id, ['RUNNING']);
    expect((await jitsu().post(`${TASKS}/${task_id}/cancel`).expect(200)).body).toEqual({ status: 'ok' });
    const cancelled = await waitFor(task_id, ['CANCELED', 'FAILED']);
    expect(cancelled.status).toBe('CANCELED');
    const { logs } = (await jitsu().get(`${TASKS}/${task_id}/logs`).expect(200)).body;
    expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', message: `[${task_id}] Synchronization has been canceled!` }));
    await new Promise((r) => setTimeout(r, 500));
    expect((await jitsu().get(`${TASKS}/${task_id}`).expect(200)).body.status).toBe('CANCELED');
    await jitsu().post(`${TASKS}/${task_id}/cancel`).expect(200);
  });

  it('seals the secrets of the file like every connection secret', async () => {
    const connections = (await h.get('/api.rsc/v2/workspaces/jitsu/connections').expect(200)).body.value as Array<{ name: string; settings: { url: string } }>;
    expect(connections.map((c) => c.name).sort()).toEqual(['destinations.backup', 'destinations.lake', 'destinations.spare', 'sources.crm', 'sources.slow']);
    const slow = connections.find((c) => c.name === 'sources.slow')!;
    expect(slow.settings.url).toBe(`postgresql://u:****@127.0.0.1:${silent.port}/db`);
    for (const file of ['events.db', 'events.db-wal']) {
      const bytes = readFileSync(join(h.dataDir, file));
      expect(bytes.length).toBeGreaterThan(0);
      expect(bytes.includes(PASSWORD)).toBe(false);
    }
  });

  it('refuses to cancel a task that has finished', async () => {
    const { task_id } = (await jitsu().post(`${TASKS}?source=crm&collection=people`).expect(201)).body;
    await waitFor(task_id, ['SUCCESS']);
    const refused = await jitsu().post(`${TASKS}/${task_id}/cancel`).expect(400);
    expect(refused.body).toEqual({ message: `error changing task [${task_id}] status to [CANCELED]`, error: expect.stringMatching(/^The task has already finished: .*succeeded/) });
    expect((await jitsu().get(`${TASKS}/${task_id}`).expect(200)).body.status).toBe('SUCCESS');
  });
});

describe('Jitsu sync tasks in the queue (e2e, no workers)', () => {
  let h: Harness;
  const post = (path: string) => h.raw().post(path).set('X-Admin-Token', ADMIN);
  const get = (path: string) => h.raw().get(path).set('X-Admin-Token', ADMIN);

  beforeAll(async () => {
    h = new Harness();
    mkdirSync(join(h.files, 'crm'), { recursive: true });
    const file = join(h.files, 'sluice.yaml');
    writeFileSync(file, config(h.files, 1));
    await h.start({ SLUICE_CONFIG: file, SLUICE_WORKERS: '0' });
  });

  afterAll(() => h.destroy());

  it('makes exactly one task of 50 concurrent POSTs for a pair (201 once, 200 with the same id after)', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, () => post(`${TASKS}?source=crm&collection=people`)));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(49);
    expect(new Set(answers.map((a) => a.body.task_id)).size).toBe(1);
    const task = (await get(`${TASKS}/${answers[0].body.task_id}`).expect(200)).body;
    expect(Object.keys(task).sort()).toEqual(['collection', 'created_at', 'id', 'priority', 'source', 'status']);
    expect(task.status).toBe('SCHEDULED');
  });

  it('never answers a task that has finished but not yet freed its pair: it frees it and makes a new one', async () => {
    const { task_id } = (await post(`${TASKS}?source=crm&collection=leads`).expect(201)).body;
    const ctx = { actor: 'test', correlationId: 'test', commandId: randomUUID(), clock: () => new Date() };
    // What a worker writes first when a run ends; freeing the job on its own stream comes just after.
    await decideAndAppend(h.app.get<EventStore>(EVENT_STORE), runStream(task_id.slice(-36)), runDecider, { type: 'FinishRun', data: { status: 'succeeded', durationMs: 1 } }, ctx);
    const next = await post(`${TASKS}?source=crm&collection=leads`).expect(201);
    expect(next.body.task_id).not.toBe(task_id);
  });

  it('cancels a scheduled task at once; the pair can then have a new task', async () => {
    const { task_id } = (await post(`${TASKS}?source=crm&collection=people`)).body;
    await post(`${TASKS}/${task_id}/cancel`).expect(200);
    expect((await get(`${TASKS}/${task_id}`).expect(200)).body).toMatchObject({ status: 'CANCELED', finished_at: expect.stringMatching(JITSU_TIME) });
    const { logs } = (await get(`${TASKS}/${task_id}/logs`).expect(200)).body;
    expect(logs).toEqual([expect.objectContaining({ level: 'warn', message: `[${task_id}] Synchronization has been canceled!` })]);
    const next = await post(`${TASKS}?source=crm&collection=people`).expect(201);
    expect(next.body.task_id).not.toBe(task_id);
  });
});

describe('the config file across restarts (e2e)', () => {
  const V2 = '/api.rsc/v2';
  const eventCount = (dataDir: string) => (rows(join(dataDir, 'events.db'), 'SELECT COUNT(*) AS n FROM events')[0] as { n: number }).n;
  const jobsOf = async (h: Harness) => (await h.get(`${V2}/workspaces/jitsu/jobs?limit=500`).expect(200)).body.value as Array<{ id: string; name: string; enabled: boolean; schedule: { enabled: boolean; cron: string }; tasks: unknown[] }>;

  it('appends nothing for the same file, and follows a changed one: a pair added, a pair removed (disabled, history kept), a schedule changed', async () => {
    let h = new Harness();
    const file = join(h.files, 'sluice.yaml');
    mkdirSync(join(h.files, 'crm'), { recursive: true });
    writeFileSync(join(h.files, 'crm', 'people.csv'), 'id,name\n1,Ada\n');
    writeFileSync(join(h.files, 'crm', 'leads.csv'), 'id,email\n2,b@x.io\n');
    writeFileSync(file, config(h.files, 1));
    await h.start({ SLUICE_CONFIG: file });
    // A declared connection deleted through another API is made again at the next start.
    const spare = ((await h.get(`${V2}/workspaces/jitsu/connections`).expect(200)).body.value as Array<{ id: string; name: string }>).find((c) => c.name === 'destinations.spare')!;
    await h.delete(`${V2}/connections/${spare.id}`).expect(204);
    const leadsTask = (await h.raw().post(`${TASKS}?source=crm&collection=leads&token=${ADMIN}`).expect(201)).body.task_id as string;
    await h.waitForRun((await jobsOf(h)).find((j) => j.name === 'crm_leads')!.id, leadsTask.slice(-36));
    await h.stop();
    h = await new Harness(h.dataDir).start({ SLUICE_CONFIG: file });
    expect((await h.get(`${V2}/connections/${spare.id}`).expect(200)).body.name).toBe('destinations.spare');
    await h.stop();

    const before = eventCount(h.dataDir);
    h = await new Harness(h.dataDir).start({ SLUICE_CONFIG: file });
    await h.stop();
    expect(eventCount(h.dataDir)).toBe(before);

    const changed = config(h.files, 1)
      .replace(/type: postgres\n(\s+)config: .*/, `type: csv\n$1config: { path: ${join(h.files, 'crm')} }`)
      .replace('collections: [accounts]', 'collections: [people]')
      .replace("parameters: { query: \"SELECT id, email FROM [leads] WHERE id > 1\" }", '')
      .replace('- name: leads', "- name: orders\n        parameters: { table: people }")
      .replace('table_name: crm_people', "table_name: crm_people\n        schedule: '*/5 * * * *'");
    writeFileSync(file, changed);
    h = await new Harness(h.dataDir).start({ SLUICE_CONFIG: file });
    try {
      const jobs = await jobsOf(h);
      const byName = Object.fromEntries(jobs.map((j) => [j.name, j]));
      expect(byName.crm_people).toMatchObject({ enabled: true, schedule: { enabled: true, cron: '*/5 * * * *' } });
      expect(byName.crm_people.tasks).toHaveLength(2);
      expect(byName.crm_orders).toMatchObject({ enabled: true, type: 'Sync' });
      expect(byName.crm_leads).toMatchObject({ enabled: false });
      // The removed pair keeps its history, but runs no more, and Jitsu no longer knows it.
      expect((await h.get(`${V2}/jobs/${byName.crm_leads.id}/history`).expect(200)).body.value).toHaveLength(1);
      expect((await h.post(`${V2}/jobs/${byName.crm_leads.id}/execute`, {}).expect(409)).body.error.code).toBe('JOB.DISABLED');
      await h.raw().post(`${TASKS}?source=crm&collection=leads&token=${ADMIN}`).expect(400);
      const orders = (await h.raw().post(`${TASKS}?source=crm&collection=orders&token=${ADMIN}`).expect(201)).body.task_id as string;
      expect((await h.waitForRun(byName.crm_orders.id, orders.slice(-36))).status).toBe('succeeded');
      expect(rows(join(h.files, 'lake.db'), 'SELECT id, name FROM crm_orders')).toEqual([{ id: 1, name: 'Ada' }]);
      // A source whose type changed in the file is that kind of connection now, and runs as one.
      const slow = ((await h.get(`${V2}/workspaces/jitsu/connections`).expect(200)).body.value as Array<{ name: string; kind: string }>).find((c) => c.name === 'sources.slow');
      expect(slow?.kind).toBe('csv');
      const people = (await h.raw().post(`${TASKS}?source=slow&collection=people&token=${ADMIN}`).expect(201)).body.task_id as string;
      expect((await h.waitForRun(byName.slow_people.id, people.slice(-36))).status).toBe('succeeded');
    } finally {
      await h.destroy();
    }
  });

  it('stops at start-up on a file it cannot apply, saying what', async () => {
    const h = new Harness();
    const file = join(h.files, 'sluice.yaml');
    writeFileSync(file, config(h.files, 1).replace(`path: ${join(h.files, 'spare.db')}`, `path: ${join(h.dataDir, 'inside.db')}`));
    await expect(h.start({ SLUICE_CONFIG: file })).rejects.toThrow(/sluice\.yaml: could not apply destinations\.spare: .*data dir/i);
    await h.destroy();
  });

  it('stops at start-up on an invalid file, naming the place in it', async () => {
    const h = new Harness();
    const file = join(h.files, 'sluice.yaml');
    writeFileSync(file, config(h.files, 1).replace('table_name: crm_people', "table_name: crm_people\n        schedule: '*/5 * *'"));
    await expect(h.start({ SLUICE_CONFIG: file })).rejects.toThrow(/sluice\.yaml: sources\.crm\.collections\[0\]\.schedule: /);
    writeFileSync(file, config(h.files, 1).replace('SELECT id, email FROM [leads] WHERE id > 1', 'SELECT FROM WHERE'));
    await expect(h.start({ SLUICE_CONFIG: file })).rejects.toThrow(/sources\.crm\.collections\[1\]\.parameters\.query: /);
    await h.destroy();
  });
});
