import { Harness } from './app.harness.js';

const V2 = '/api.rsc/v2';

describe('CData Sync v2: jobs and tasks (e2e)', () => {
  let h: Harness;
  let src: string;
  let dst: string;

  beforeAll(async () => {
    h = await new Harness().start();
    src = await h.connection('ws1', 'source-files');
    dst = await h.connection('ws1', 'warehouse', 'sqlite', { path: '/tmp/warehouse.db' });
  });
  afterAll(() => h.destroy());

  it('creates a job from the seed example, with keys in any case and queries as tasks', async () => {
    const res = await h
      .post(`${V2}/workspaces/ws1/jobs`, {
        Name: 'ReverseETLJob',
        type: 'ReverseETL',
        source_connection_id: src,
        'Destination-Connection': { Id: dst, Name: 'warehouse' },
        Schedule: { Enabled: true, Cron: '0 0 12 ? * MON-FRI', timezone: 'Europe/Paris' },
        Batch_Size: 500,
        EmailErrorOnly: true,
        'Pipeline Id': 'p-7',
        Labels: ['crm'],
        Queries: ['REPLICATE [Accounts] SELECT * FROM [Accounts]', 'REPLICATE [Leads]'],
      })
      .expect(201);
    expect(res.body).toMatchObject({
      name: 'ReverseETLJob',
      type: 'ReverseETL',
      workspace_id: 'ws1',
      source_connection_id: src,
      destination_connection_id: dst,
      schedule: { enabled: true, cron: '0 0 12 ? * MON-FRI', timezone: 'Europe/Paris' },
      batch_size: 500,
      email_error_only: true,
      pipeline_id: 'p-7',
      labels: ['crm'],
      truncate_table_data: false,
    });
    expect(res.body.tasks.map((t: { query: string; index: number }) => [t.index, t.query])).toEqual([
      [0, 'REPLICATE [Accounts] SELECT * FROM [Accounts]'],
      [1, 'REPLICATE [Leads]'],
    ]);
    const fetched = await h.get(`${V2}/jobs/${res.body.id}`).expect(200);
    expect(fetched.body).toEqual(res.body);
  });

  it('lists jobs in a workspace with cursor paging, and only that workspace', async () => {
    for (const name of ['A', 'B', 'C']) await h.post(`${V2}/workspaces/ws-list/jobs`, { name }).expect(201);
    await h.post(`${V2}/workspaces/other/jobs`, { name: 'elsewhere' }).expect(201);
    const first = await h.get(`${V2}/workspaces/ws-list/jobs?limit=2`).expect(200);
    expect(first.body.value.map((j: { name: string }) => j.name)).toEqual(['A', 'B']);
    const second = await h.get(`${V2}/workspaces/ws-list/jobs?limit=2&cursor=${first.body.next_cursor}`).expect(200);
    expect(second.body.value.map((j: { name: string }) => j.name)).toEqual(['C']);
    expect(second.body.next_cursor).toBeNull();
    await h.get(`${V2}/workspaces/ws-list/jobs?limit=0`).expect(400);
    await h.get(`${V2}/workspaces/ws-list/jobs?cursor=garbage`).expect(400);
  });

  it('updates only the fields sent, like the seed example', async () => {
    const job = (await h.post(`${V2}/workspaces/ws1/jobs`, { name: 'toUpdate', schedule: { enabled: true, cron: '*/5 * * * *' }, drop_table: true }).expect(201)).body;
    const res = await h.put(`${V2}/jobs/${job.id}`, { name: 'reverseETLJob2', schedule: { enabled: false, cron: '' } }).expect(200);
    expect(res.body).toMatchObject({ name: 'reverseETLJob2', schedule: { enabled: false, cron: '' }, drop_table: true });
    expect(res.body.version).toBe(1);
  });

  it('answers 400 naming the field for invalid bodies and crons, and writes nothing', async () => {
    const before = (await h.get(`${V2}/workspaces/ws1/jobs`)).body.value.length;
    const cases: Array<[object, RegExp]> = [
      [{ type: 'Standard' }, /name/],
      [{ name: 'x', type: 'Weekly' }, /type must be one of/],
      [{ name: 'x', batch_size: 'lots' }, /batch_size/],
      [{ name: 'x', schedule: { enabled: true, cron: '* * *' } }, /schedule.cron/],
      [{ name: 'x', schedule: { enabled: true, cron: '0 25 * * *' } }, /schedule.cron/],
      [{ name: 'x', replicate_start_date: '01/02/2026' }, /replicate_start_date/],
      [{ name: 'x', no_such_setting: true }, /no_such_setting/],
      [{ name: 'x', source_connection_id: 'not-a-connection' }, /not-a-connection/],
    ];
    for (const [body, message] of cases) {
      const res = await h.post(`${V2}/workspaces/ws1/jobs`, body).expect(400);
      expect(res.body.error.message).toMatch(message);
      expect(res.body.error.code).toBeDefined();
    }
    await h.put(`${V2}/jobs/does-not-exist`, { name: 'x' }).expect(404);
    expect((await h.get(`${V2}/workspaces/ws1/jobs`)).body.value.length).toBe(before);
    expect((await h.events('workspace-ws1')).filter((e) => e.data.name === 'x')).toEqual([]);
  });

  it('rejects a duplicate job name in a workspace with 409, but allows it in another', async () => {
    await h.post(`${V2}/workspaces/ws-dup/jobs`, { name: 'Nightly' }).expect(201);
    const res = await h.post(`${V2}/workspaces/ws-dup/jobs`, { name: 'nightly' }).expect(409);
    expect(res.body.error.code).toBe('JOB.NAME_TAKEN');
    await h.post(`${V2}/workspaces/ws-dup2/jobs`, { name: 'Nightly' }).expect(201);
  });

  it('deletes a job: 204, then 404, and its name is free again', async () => {
    const job = (await h.post(`${V2}/workspaces/ws-del/jobs`, { name: 'Temp' }).expect(201)).body;
    await h.delete(`${V2}/jobs/${job.id}`).expect(204);
    await h.get(`${V2}/jobs/${job.id}`).expect(404);
    await h.delete(`${V2}/jobs/${job.id}`).expect(404);
    await h.post(`${V2}/workspaces/ws-del/jobs`, { name: 'Temp' }).expect(201);
  });

  describe('tasks', () => {
    let jobId: string;
    const ids = async () => (await h.get(`${V2}/jobs/${jobId}/tasks`).expect(200)).body.value.map((t: { query: string }) => t.query);

    beforeAll(async () => {
      jobId = (await h.post(`${V2}/workspaces/ws-tasks/jobs`, { name: 'T', queries: ['REPLICATE [A]', 'REPLICATE [B]', 'REPLICATE [C]'] }).expect(201)).body.id;
    });

    it('adds, reads, updates and deletes tasks keeping a dense 0-based order', async () => {
      const added = await h.post(`${V2}/jobs/${jobId}/tasks`, { Query: 'REPLICATE [D]', Is_Active: false }).expect(201);
      expect(added.body).toMatchObject({ query: 'REPLICATE [D]', is_active: false, index: 3, job_id: jobId });
      const got = await h.get(`${V2}/jobs/${jobId}/tasks/${added.body.id}`).expect(200);
      expect(got.body).toEqual(added.body);
      const updated = await h.put(`${V2}/jobs/${jobId}/tasks/${added.body.id}`, { query: 'REPLICATE [D2]', is_active: true, index: 1 }).expect(200);
      expect(updated.body).toMatchObject({ query: 'REPLICATE [D2]', is_active: true, index: 1 });
      expect(await ids()).toEqual(['REPLICATE [A]', 'REPLICATE [D2]', 'REPLICATE [B]', 'REPLICATE [C]']);
      await h.delete(`${V2}/jobs/${jobId}/tasks/${added.body.id}`).expect(204);
      expect(await ids()).toEqual(['REPLICATE [A]', 'REPLICATE [B]', 'REPLICATE [C]']);
      const list = (await h.get(`${V2}/jobs/${jobId}/tasks`)).body.value;
      expect(list.map((t: { index: number }) => t.index)).toEqual([0, 1, 2]);
    });

    it('moves a task with from_index and to_index', async () => {
      const [a] = (await h.get(`${V2}/jobs/${jobId}/tasks`)).body.value;
      const moved = await h.post(`${V2}/jobs/${jobId}/tasks/${a.id}/move`, { from_index: 0, to_index: 2 }).expect(200);
      expect(moved.body).toMatchObject({ id: a.id, index: 2 });
      expect(await ids()).toEqual(['REPLICATE [B]', 'REPLICATE [C]', 'REPLICATE [A]']);
    });

    it('rejects moves out of range or from the wrong index with 400, and unknown tasks with 404', async () => {
      const [first] = (await h.get(`${V2}/jobs/${jobId}/tasks`)).body.value;
      const out = await h.post(`${V2}/jobs/${jobId}/tasks/${first.id}/move`, { to_index: 3 }).expect(400);
      expect(out.body.error).toMatchObject({ code: 'TASK.INDEX_OUT_OF_RANGE' });
      await h.post(`${V2}/jobs/${jobId}/tasks/${first.id}/move`, { from_index: 1, to_index: 0 }).expect(400);
      await h.post(`${V2}/jobs/${jobId}/tasks/${first.id}/move`, { from_index: 0 }).expect(400);
      await h.post(`${V2}/jobs/${jobId}/tasks/nope/move`, { to_index: 0 }).expect(404);
      await h.get(`${V2}/jobs/${jobId}/tasks/nope`).expect(404);
      await h.get(`${V2}/jobs/nope/tasks`).expect(404);
    });

    it('keeps every task when many are added at once (conflicts are re-decided)', async () => {
      const job = (await h.post(`${V2}/workspaces/ws-tasks/jobs`, { name: 'Concurrent' }).expect(201)).body;
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => h.post(`${V2}/jobs/${job.id}/tasks`, { query: `REPLICATE [T${i}]` })));
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
      const tasks = (await h.get(`${V2}/jobs/${job.id}/tasks`)).body.value;
      expect(tasks).toHaveLength(8);
      expect(tasks.map((t: { index: number }) => t.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    });
  });
});
