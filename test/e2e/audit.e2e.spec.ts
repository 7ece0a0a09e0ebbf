import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Harness } from './app.harness.js';

const V2 = '/api.rsc/v2';

interface Entry {
  position: string;
  at: string;
  type: string;
  actor: string;
  dialect: string | null;
  route: string | null;
  changes: Record<string, { from: unknown; to: unknown }> | null;
  task: { id: string; query: string; index: number } | null;
  run: { id: string; trigger?: string; status: string; rows_read?: number; rows_written?: number; duration_ms?: number } | null;
}

const later = () => new Promise((r) => setTimeout(r, 5));
/** A moment strictly between two ISO times a few milliseconds apart. */
const between = (a: string, b: string) => new Date((Date.parse(a) + Date.parse(b)) / 2).toISOString();

describe('the audit timeline and as_of (e2e)', () => {
  let h: Harness;
  let jobId: string;
  let runId: string;
  let timeline: Entry[];
  let beforeAll_: string;

  beforeAll(async () => {
    h = await new Harness().start();
    const dir = join(h.files, 'in');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'items.csv'), 'id,name\n1,a\n2,b\n3,c\n');
    const from = await h.connection('audit', 'in', 'csv', { path: dir });
    const into = await h.connection('audit', 'out', 'sqlite', { path: join(h.files, 'out.db') });
    beforeAll_ = new Date().toISOString();
    await later();
    const job = (await h.post(`${V2}/workspaces/audit/jobs`, { name: 'Audited', source_connection_id: from, destination_connection_id: into, queries: ['REPLICATE [items]'] }).expect(201)).body;
    jobId = job.id;
    await later();
    await h.put(`${V2}/jobs/${jobId}`, { batch_size: 250 }).expect(200);
    await later();
    const added = (await h.post(`${V2}/jobs/${jobId}/tasks`, { query: 'REPLICATE [more] SELECT * FROM [items]' }).expect(201)).body.id;
    await later();
    await h.post(`${V2}/jobs/${jobId}/tasks/${added}/move`, { from_index: 1, to_index: 0 }).expect(200);
    await later();
    await h.delete(`${V2}/jobs/${jobId}/tasks/${added}`).expect(204);
    const run = (await h.post(`${V2}/jobs/${jobId}/execute`, {}).expect(202)).body;
    runId = run.id;
    expect((await h.waitForRun(jobId, runId)).status).toBe('succeeded');
    await later();
    await h.delete(`${V2}/jobs/${jobId}`).expect(204);
    timeline = await auditOf(`/v1/jobs/${jobId}/audit?limit=1000`);
  });
  afterAll(() => h.destroy());

  /** The timeline, once the audit read model has the job's deletion. */
  async function auditOf(url: string): Promise<Entry[]> {
    for (let tries = 0; ; tries++) {
      const entries = (await h.get(url).expect(200)).body.entries as Entry[];
      if (entries.some((e) => e.type === 'JobDeleted') || tries > 100) return entries;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('tells every change and every run in order, who made it, through which route, and what changed', () => {
    expect(timeline.map((e) => e.type)).toEqual([
      'JobCreated',
      'TaskAdded',
      'JobUpdated',
      'TaskAdded',
      'TaskMoved',
      'TaskDeleted',
      'RunQueued',
      'RunStarted',
      'RunFinished',
      'JobDeleted',
    ]);
    const [created, , updated, added, moved, deleted, queued, started, finished, jobDeleted] = timeline;
    // a creation tells what the job is beyond the defaults
    expect(created.changes).toEqual({
      name: { from: null, to: 'Audited' },
      type: { from: null, to: 'Standard' },
      sourceConnectionId: { from: null, to: expect.any(String) },
      destinationConnectionId: { from: null, to: expect.any(String) },
    });
    expect(updated.changes).toEqual({ 'settings.batch_size': { from: null, to: 250 } });
    expect(updated).toMatchObject({ actor: 'token:admin', dialect: 'cdata', route: 'PUT /api.rsc/v2/jobs/:job_id' });
    expect(added.task).toMatchObject({ query: 'REPLICATE [more] SELECT * FROM [items]', index: 1 });
    expect(moved).toMatchObject({ task: { id: added.task!.id, index: 0 }, changes: { index: { from: 1, to: 0 } } });
    expect(deleted.task).toEqual({ id: added.task!.id, query: 'REPLICATE [more] SELECT * FROM [items]', index: 0 });
    expect(queued.run).toMatchObject({ id: runId, trigger: 'manual', status: 'queued' });
    expect(started.run).toMatchObject({ id: runId, status: 'running' });
    expect(started.actor).toMatch(/^worker:/);
    expect(finished.run).toMatchObject({ id: runId, status: 'succeeded', rows_read: 3, rows_written: 3 });
    expect(finished.run!.duration_ms).toEqual(expect.any(Number));
    expect(jobDeleted).toMatchObject({ actor: 'token:admin', route: 'DELETE /api.rsc/v2/jobs/:job_id' });
    const positions = timeline.map((e) => BigInt(e.position));
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it('filters by type (repeatable) and by time, boundaries included, and pages without gaps or repeats', async () => {
    const tasks = (await h.get(`/v1/jobs/${jobId}/audit?type=TaskAdded&type=TaskMoved`).expect(200)).body.entries as Entry[];
    expect(tasks.map((e) => e.type)).toEqual(['TaskAdded', 'TaskAdded', 'TaskMoved']);
    const updated = timeline[2];
    const exact = (await h.get(`/v1/jobs/${jobId}/audit?from=${updated.at}&to=${updated.at}`).expect(200)).body.entries as Entry[];
    expect(exact.map((e) => e.type)).toEqual(['JobUpdated']);
    const pages: Entry[] = [];
    let cursor: string | null = null;
    do {
      const body: { entries: Entry[]; next_cursor: string | null } = (await h.get(`/v1/jobs/${jobId}/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`).expect(200)).body;
      pages.push(...body.entries);
      cursor = body.next_cursor;
    } while (cursor);
    expect(pages).toEqual(timeline);
    // a cursor is the client's to send back: one that holds an object (an operator, to MongoDB) is refused
    const forged = Buffer.from(JSON.stringify([{ $ne: null }, 'x'])).toString('base64url');
    expect((await h.get(`/v1/jobs/${jobId}/audit?cursor=${forged}`).expect(400)).body.error.field).toBe('cursor');
    const bad = await h.get(`/v1/jobs/${jobId}/audit?type=Nope`).expect(400);
    expect(bad.body.error.field).toBe('type');
    await h.get('/v1/jobs/0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21/audit').expect(404);
  });

  it('answers a job as it was at any moment, to the millisecond, also after its deletion', async () => {
    const [created, , updated, , moved] = timeline;
    const asOf = async (at: string) => (await h.get(`/v1/jobs/${jobId}?as_of=${at}`).expect(200)).body;
    expect((await asOf(created.at)).settings.batch_size).toBeNull();
    expect((await asOf(created.at)).tasks).toHaveLength(1);
    // between the update and the task added after it: the update is in, the task is not
    const afterUpdate = await asOf(between(updated.at, timeline[3].at));
    expect(afterUpdate.settings.batch_size).toBe(250);
    expect(afterUpdate.tasks).toHaveLength(1);
    expect((await asOf(moved.at)).tasks.map((t: { query: string }) => t.query)).toEqual(['REPLICATE [more] SELECT * FROM [items]', 'REPLICATE [items]']);
    const gone = await asOf(new Date().toISOString());
    expect(gone).toMatchObject({ id: jobId, name: 'Audited', status: 'deleted', deletedAt: timeline[9].at });
    // a deleted job shows its tasks as they were when it was deleted
    expect(gone.tasks.map((t: { query: string }) => t.query)).toEqual(['REPLICATE [items]']);
    await h.get(`/v1/jobs/${jobId}`).expect(404);
    await h.get(`/v1/jobs/${jobId}?as_of=${beforeAll_}`).expect(404);
    expect((await h.get(`/v1/jobs/${jobId}?as_of=yesterday`).expect(400)).body.error.field).toBe('as_of');
    // ISO 8601 forms a validator lets through but Date cannot read are a 400 too, never a 500
    expect((await h.get(`/v1/jobs/${jobId}?as_of=2024-W01`).expect(400)).body.error.field).toBe('as_of');
    expect((await h.get(`/v1/runs/${runId}?as_of=20240101`).expect(400)).body.error.field).toBe('as_of');
    expect((await h.get(`/v1/jobs/${jobId}/audit?from=2024-W01`).expect(400)).body.error.field).toBe('from');
    // a time without an offset is UTC, whatever the server's zone (read as New York time, it would be hours
    // later, after the job's deletion)
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect((await asOf(created.at.replace('Z', ''))).status).toBe('active');
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("reads a run's log range to the millisecond: a whole second includes the lines written in it", async () => {
    const lines = (await h.get(`/v1/runs/${runId}/logs`).expect(200)).body.lines as Array<{ at: string }>;
    const second = `${lines[0].at.slice(0, 19)}Z`;
    const from = (await h.get(`/v1/runs/${runId}/logs?from=${second}`).expect(200)).body.lines as Array<{ at: string }>;
    expect(from[0]).toEqual(lines[0]);
  });

  it('answers a run and a connection as they were', async () => {
    const queued = timeline[6];
    expect((await h.get(`/v1/runs/${runId}?as_of=${queued.at}`).expect(200)).body).toMatchObject({ id: runId, status: 'queued', rowsWritten: 0 });
    expect((await h.get(`/v1/runs/${runId}?as_of=${timeline[8].at}`).expect(200)).body).toMatchObject({ status: 'succeeded', rowsWritten: 3 });

    const url = 'postgresql://sluice:hunter2@db.example/dw';
    const id = await h.connection('audit', 'pg', 'postgres', { url });
    const first = (await h.get(`/v1/connections/${id}`).expect(200)).body;
    expect(first.settings.url).toBe('postgresql://sluice:****@db.example/dw');
    await later();
    await h.put(`${V2}/connections/${id}`, { settings: { url: 'postgresql://sluice:hunter2@db2.example/dw' } }).expect(200);
    await later();
    await h.delete(`${V2}/connections/${id}`).expect(204);
    const then = (await h.get(`/v1/connections/${id}?as_of=${first.createdAt}`).expect(200)).body;
    expect(then).toMatchObject({ name: 'pg', settings: { url: 'postgresql://sluice:****@db.example/dw' }, deletedAt: null });
    expect(JSON.stringify(then)).not.toContain('hunter2');
    const now = (await h.get(`/v1/connections/${id}?as_of=${new Date().toISOString()}`).expect(200)).body;
    expect(now).toMatchObject({ settings: { url: 'postgresql://sluice:****@db2.example/dw' }, deletedAt: expect.any(String) });
  });
});
