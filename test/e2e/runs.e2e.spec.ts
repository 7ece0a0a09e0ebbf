import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Harness } from './app.harness.js';

const V2 = '/api.rsc/v2';

function csv(dir: string, table: string, header: string[], rows: unknown[][]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${table}.csv`), [header, ...rows].map((r) => r.join(',')).join('\n') + '\n');
}

function rows(file: string, sql: string): Record<string, unknown>[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

describe('runs that move real data (e2e)', () => {
  let h: Harness;
  let files: string;
  let src: string;
  let dst: string;
  let warehouse: string;

  beforeAll(async () => {
    h = await new Harness().start();
    files = join(h.files, 'files');
    warehouse = join(h.files, 'warehouse.db');
    csv(files, 'accounts', ['id', 'name', 'amount', 'active'], [
      [1, 'Alice', 10.5, 'true'],
      [2, 'Bob', 20, 'false'],
      [3, '"Carol, Jr"', 30, 'true'],
    ]);
    csv(files, 'leads', ['id', 'email'], [
      [1, 'a@example.com'],
      [2, 'b@example.com'],
    ]);
    src = await h.connection('runs', 'files', 'csv', { path: files });
    dst = await h.connection('runs', 'warehouse', 'sqlite', { path: warehouse });
  });
  afterAll(() => h.destroy());

  it('replicates csv → sqlite, with history, status, task results and a log', async () => {
    const { job, run } = await h.runJob('runs', {
      name: 'csv-to-sqlite',
      source_connection_id: src,
      destination_connection_id: dst,
      queries: ['REPLICATE [Accounts] SELECT * FROM [accounts]', "REPLICATE [Leads] SELECT id, email AS Email FROM leads WHERE email LIKE '%example.com'"],
    });
    expect(run).toMatchObject({ status: 'succeeded', trigger: 'manual', requested_by: 'token:admin', rows_read: 5, rows_written: 5, error: null });
    expect(run.tasks.map((t: { status: string; rows_written: number; destination_table: string }) => [t.status, t.rows_written, t.destination_table])).toEqual([
      ['succeeded', 3, 'Accounts'],
      ['succeeded', 2, 'Leads'],
    ]);
    expect(rows(warehouse, 'SELECT id, name, amount, active FROM Accounts ORDER BY id')).toEqual([
      { id: 1, name: 'Alice', amount: 10.5, active: 1 },
      { id: 2, name: 'Bob', amount: 20, active: 0 },
      { id: 3, name: 'Carol, Jr', amount: 30, active: 1 },
    ]);
    expect(rows(warehouse, 'SELECT * FROM Leads ORDER BY id')).toEqual([
      { id: 1, Email: 'a@example.com' },
      { id: 2, Email: 'b@example.com' },
    ]);

    const status = (await h.get(`${V2}/jobs/${job.id}/status`).expect(200)).body;
    expect(status).toMatchObject({ status: 'idle', active_run_id: null, last_run: { id: run.id, status: 'succeeded' } });
    const history = (await h.get(`${V2}/jobs/${job.id}/history`).expect(200)).body;
    expect(history.value.map((r: { id: string }) => r.id)).toEqual([run.id]);

    const logs = (await h.get(`/v1/runs/${run.id}/logs`).expect(200)).body.lines.map((l: { message: string }) => l.message);
    expect(logs[0]).toMatch(/started \(manual, requested by token:admin\) with 2 task/);
    expect(logs).toContainEqual(expect.stringMatching(/Task 1: read 3 rows from \[accounts\], wrote 3 rows to \[Accounts\] in \[\d+\.\d\d\] seconds/));
    expect(logs[logs.length - 1]).toMatch(/^FINISHED SUCCESSFULLY in \[\d+\.\d\d\] seconds \(~ \d+\.\d\d minutes\)$/);

    const lastRun = (await h.get(`${V2}/jobs/${job.id}/tasks/last-run`).expect(200)).body.value;
    expect(lastRun.map((t: { last_run: { status: string; rows_written: number } }) => [t.last_run.status, t.last_run.rows_written])).toEqual([
      ['succeeded', 3],
      ['succeeded', 2],
    ]);
    const taskHistory = (await h.get(`${V2}/jobs/${job.id}/tasks/${job.tasks[0].id}/history`).expect(200)).body.value;
    expect(taskHistory).toHaveLength(1);
    const full = (await h.get(`/v1/runs/${run.id}`).expect(200)).body;
    expect(full.steps[0].metrics).toMatchObject({ rowsProcessed: 3, latencyMs: { min: expect.any(Number) } });
  });

  it('loads only new rows on the next incremental run, and upserts by primary key', async () => {
    const dir = join(h.files, 'incr');
    csv(dir, 'events', ['id', 'kind'], [[1, 'a'], [2, 'b']]);
    const from = await h.connection('incr', 'events-in', 'csv', { path: dir });
    const into = await h.connection('incr', 'events-out', 'sqlite', { path: join(h.files, 'incr.db') });
    const { job, run } = await h.runJob('incr', {
      name: 'incremental',
      source_connection_id: from,
      destination_connection_id: into,
      incremental_column: 'id',
      queries: ['REPLICATE [events]'],
    });
    expect(run.rows_written).toBe(2);
    expect(run.tasks[0].watermark).toBe(2);
    appendFileSync(join(dir, 'events.csv'), '3,c\n4,d\n');
    const second = (await h.post(`${V2}/jobs/${job.id}/execute`, {}).expect(202)).body;
    const done = await h.waitForRun(job.id, second.id);
    expect(done).toMatchObject({ status: 'succeeded', rows_written: 2 });
    expect(done.tasks[0].watermark).toBe(4);
    expect(rows(join(h.files, 'incr.db'), 'SELECT id FROM events ORDER BY id').map((r) => r.id)).toEqual([1, 2, 3, 4]);

    const keyed = join(h.files, 'keyed.db');
    const db = new Database(keyed);
    db.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT)');
    db.exec("INSERT INTO events VALUES (1, 'old')");
    db.close();
    const keyedConn = await h.connection('incr', 'keyed', 'sqlite', { path: keyed });
    await h.runJob('incr', { name: 'upsert', source_connection_id: from, destination_connection_id: keyedConn, queries: ['REPLICATE [events]'] });
    expect(rows(keyed, 'SELECT * FROM events ORDER BY id')).toEqual([
      { id: 1, kind: 'a' },
      { id: 2, kind: 'b' },
      { id: 3, kind: 'c' },
      { id: 4, kind: 'd' },
    ]);
  });

  it('honours prefix, truncate, drop and alter-schema settings', async () => {
    const out = join(h.files, 'settings.db');
    const conn = await h.connection('settings', 'out', 'sqlite', { path: out });
    const from = await h.connection('settings', 'in', 'csv', { path: files });
    const { job } = await h.runJob('settings', {
      name: 'prefixed',
      source_connection_id: from,
      destination_connection_id: conn,
      table_name_prefix: 'stg_',
      queries: ['REPLICATE [Accounts] SELECT id, name FROM accounts'],
    });
    expect(rows(out, 'SELECT count(*) AS n FROM stg_Accounts')[0].n).toBe(3);
    // a second run without truncate appends, with truncate replaces
    await h.put(`${V2}/jobs/${job.id}`, { truncate_table_data: true }).expect(200);
    const again = (await h.post(`${V2}/jobs/${job.id}/execute`).expect(202)).body;
    await h.waitForRun(job.id, again.id);
    expect(rows(out, 'SELECT count(*) AS n FROM stg_Accounts')[0].n).toBe(3);
    // a new column fails without Alter_Schema, and is added with it
    await h.put(`${V2}/jobs/${job.id}/tasks/${job.tasks[0].id}`, { query: 'REPLICATE [Accounts] SELECT id, name, amount FROM accounts' }).expect(200);
    const failed = await h.waitForRun(job.id, (await h.post(`${V2}/jobs/${job.id}/execute`).expect(202)).body.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/has no column amount; enable Alter_Schema/);
    await h.put(`${V2}/jobs/${job.id}`, { alter_schema: true }).expect(200);
    const altered = await h.waitForRun(job.id, (await h.post(`${V2}/jobs/${job.id}/execute`).expect(202)).body.id);
    expect(altered.status).toBe('succeeded');
    expect(rows(out, 'SELECT amount FROM stg_Accounts ORDER BY id').map((r) => r.amount)).toEqual([10.5, 20, 30]);
    await h.put(`${V2}/jobs/${job.id}`, { drop_table: true }).expect(200);
    await h.put(`${V2}/jobs/${job.id}/tasks/${job.tasks[0].id}`, { query: 'REPLICATE [Accounts] SELECT id FROM accounts' }).expect(200);
    await h.waitForRun(job.id, (await h.post(`${V2}/jobs/${job.id}/execute`).expect(202)).body.id);
    expect(Object.keys(rows(out, 'SELECT * FROM stg_Accounts')[0])).toEqual(['id']);
  });

  it('fails a run with an actionable message, or goes on with Continue_On_Error', async () => {
    const queries = ['REPLICATE [Missing] SELECT * FROM [no_such_table]', 'REPLICATE [Leads]'];
    const { job, run } = await h.runJob('runs', { name: 'failing', source_connection_id: src, destination_connection_id: dst, queries });
    expect(run.status).toBe('failed');
    expect(run.tasks[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/Table no_such_table does not exist: no file .*no_such_table\.csv/) });
    // failed before its tables were opened, the message still names them
    expect(run.tasks[0].error).toMatch(/^Task 1 \(\[no_such_table\] into \[Missing\]\) failed: /);
    expect(run.error).not.toContain('[?]');
    expect(run.tasks[1]).toMatchObject({ status: 'skipped', rows_written: 0, started_at: null });
    const logs = (await h.get(`/v1/runs/${run.id}/logs?level=error`).expect(200)).body.lines;
    expect(logs.map((l: { level: string }) => l.level)).toEqual(['error', 'error']);
    expect(logs[1].message).toMatch(/^FINISHED WITH ERRORS in \[\d+\.\d\d\] seconds/);

    await h.put(`${V2}/jobs/${job.id}`, { continue_on_error: true }).expect(200);
    const next = await h.waitForRun(job.id, (await h.post(`${V2}/jobs/${job.id}/execute`).expect(202)).body.id);
    expect(next.tasks.map((t: { status: string }) => t.status)).toEqual(['failed', 'succeeded']);
    expect(next.status).toBe('failed');
  });

  it('fails on a row whose type does not fit, naming the line and the column', async () => {
    const dir = join(h.files, 'bad');
    // past the 1,000-row sample the types are inferred from
    csv(dir, 'numbers', ['n'], [...Array.from({ length: 1500 }, (_, i) => [i]), ['oops']]);
    const from = await h.connection('bad', 'in', 'csv', { path: dir });
    const into = await h.connection('bad', 'out', 'sqlite', { path: join(h.files, 'bad.db') });
    const { run } = await h.runJob('bad', {
      name: 'typed',
      source_connection_id: from,
      destination_connection_id: into,
      batch_size: 1000,
      queries: ['REPLICATE [numbers]'],
    });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/Line 1502 of numbers\.csv: column n is "oops", not an integer/);
    // whole batches only: the first 1,000 rows committed, the failing batch not at all
    expect(rows(join(h.files, 'bad.db'), 'SELECT count(*) AS n FROM numbers')[0].n).toBe(1000);
    expect(run.tasks[0]).toMatchObject({ status: 'failed', rows_written: 1000 });
  });

  it('explains a query that names a column the source lacks', async () => {
    const { run } = await h.runJob('runs', {
      name: 'bad-column',
      source_connection_id: src,
      destination_connection_id: dst,
      queries: ['REPLICATE [X] SELECT * FROM accounts WHERE colour = 1', 'REPLICATE [Y] SELECT id, colour FROM accounts'],
      continue_on_error: true,
    });
    expect(run.tasks.map((t: { error: string }) => t.error)).toEqual([
      expect.stringMatching(/WHERE uses column colour, which source table accounts does not have/),
      expect.stringMatching(/Column colour does not exist in source table accounts \(it has id, name, amount, active\)/),
    ]);
  });

  it('starts incremental loads at Replicate_Start_Date', async () => {
    const dir = join(h.files, 'dated');
    csv(dir, 'visits', ['day', 'page'], [['2025-12-30', '/a'], ['2026-01-01', '/b'], ['2026-01-02', '/c']]);
    const from = await h.connection('dated', 'in', 'csv', { path: dir });
    const into = await h.connection('dated', 'out', 'sqlite', { path: join(h.files, 'dated.db') });
    const { run } = await h.runJob('dated', {
      name: 'since-new-year',
      source_connection_id: from,
      destination_connection_id: into,
      incremental_column: 'day',
      replicate_start_date: '2026-01-01',
      queries: ['REPLICATE [visits]'],
    });
    expect(run).toMatchObject({ status: 'succeeded', rows_written: 2 });
    expect(run.tasks[0].watermark).toBe('2026-01-02');
  });

  it('stamps every log line, step and the finish with its own time, and filters logs by time', async () => {
    // Enough rows, in small batches, that the run's first and last events are some milliseconds apart.
    const dir = join(h.files, 'timed');
    csv(dir, 'ticks', ['id', 'label'], Array.from({ length: 20_000 }, (_, i) => [i + 1, `tick-${i + 1}`]));
    const from = await h.connection('timed', 'in', 'csv', { path: dir });
    const into = await h.connection('timed', 'out', 'sqlite', { path: join(h.files, 'timed.db') });
    const { run } = await h.runJob('timed', { name: 'timed', source_connection_id: from, destination_connection_id: into, batch_size: 100, queries: ['REPLICATE [ticks]'] });
    expect(run).toMatchObject({ status: 'succeeded', rows_written: 20_000 });
    const ms = (iso: string) => Date.parse(iso);
    expect(ms(run.finished_at)).toBeGreaterThan(ms(run.started_at));
    expect(ms(run.finished_at) - ms(run.started_at)).toBe(run.duration_ms);
    const [step] = run.tasks;
    expect(ms(step.started_at)).toBeGreaterThanOrEqual(ms(run.started_at));
    expect(ms(step.finished_at)).toBeGreaterThan(ms(step.started_at));
    expect(ms(step.metrics.at)).toBeGreaterThan(ms(step.started_at));
    expect(ms(run.finished_at)).toBeGreaterThanOrEqual(ms(step.finished_at));

    const all = (await h.get(`/v1/runs/${run.id}/logs`).expect(200)).body.lines as Array<{ at: string; message: string }>;
    const [first, last] = [all[0], all[all.length - 1]];
    expect(all.map((l) => l.at)).toEqual([...all.map((l) => l.at)].sort());
    expect(ms(last.at)).toBeGreaterThan(ms(first.at));
    // a time strictly after the first line and at or before the last one
    const cut = new Date(ms(first.at) + 1).toISOString();
    const later = (await h.get(`/v1/runs/${run.id}/logs?from=${encodeURIComponent(cut)}`).expect(200)).body.lines as typeof all;
    expect(later.length).toBeLessThan(all.length);
    expect(later.map((l) => l.message)).not.toContain(first.message);
    expect(later[later.length - 1]).toEqual(last);
    expect(later.every((l) => l.at >= cut)).toBe(true);
    const before = new Date(ms(last.at) - 1).toISOString();
    const earlier = (await h.get(`/v1/runs/${run.id}/logs?to=${encodeURIComponent(before)}`).expect(200)).body.lines as typeof all;
    expect(earlier[0]).toEqual(first);
    expect(earlier.map((l) => l.message)).not.toContain(last.message);
    expect(earlier.every((l) => l.at <= before)).toBe(true);
    await h.get(`/v1/runs/${run.id}/logs?level=loud`).expect(400);
    await h.get('/v1/runs/nope/logs').expect(404);
  });

  it('rejects an invalid task query with 400 at creation, pointing at the problem', async () => {
    const res = await h.post(`${V2}/workspaces/runs/jobs`, { name: 'bad-query', queries: ['REPLICATE [A] SELEC * FROM [B]'] }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'TASK.QUERY_INVALID', field: 'query' });
    expect(res.body.error.message).toMatch(/Expected SELECT or the end of the query at position 15/);
  });

  it('runs tasks in parallel with Enable_Parallel_Processing', async () => {
    const out = join(h.files, 'parallel.db');
    const into = await h.connection('par', 'out', 'sqlite', { path: out });
    const from = await h.connection('par', 'in', 'csv', { path: files });
    const { run } = await h.runJob('par', {
      name: 'parallel',
      source_connection_id: from,
      destination_connection_id: into,
      enable_parallel_processing: true,
      worker_pool: 3,
      queries: ['REPLICATE [A1] SELECT * FROM accounts', 'REPLICATE [A2] SELECT * FROM accounts', 'REPLICATE [L1] SELECT * FROM leads'],
    });
    expect(run.tasks.map((t: { status: string }) => t.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(rows(out, 'SELECT (SELECT count(*) FROM A1) + (SELECT count(*) FROM A2) + (SELECT count(*) FROM L1) AS n')[0].n).toBe(8);
    // from SQLite too: parallel tasks read through connections of their own
    const copy = await h.connection('par', 'copy', 'sqlite', { path: join(h.files, 'parallel-copy.db') });
    const { run: fromSqlite } = await h.runJob('par', {
      name: 'parallel-from-sqlite',
      source_connection_id: into,
      destination_connection_id: copy,
      enable_parallel_processing: true,
      worker_pool: 3,
      batch_size: 1,
      queries: ['REPLICATE [A1]', 'REPLICATE [A2]', 'REPLICATE [L1]'],
    });
    expect(fromSqlite.tasks.map((t: { status: string; rows_written: number }) => [t.status, t.rows_written])).toEqual([
      ['succeeded', 3],
      ['succeeded', 3],
      ['succeeded', 2],
    ]);
  });

  it('answers the active run to a second execute, and cancels a long run at a batch boundary', async () => {
    const dir = join(h.files, 'big');
    mkdirSync(dir, { recursive: true });
    const lines = ['id,payload'];
    for (let i = 1; i <= 500_000; i++) lines.push(`${i},row-${i}-${'x'.repeat(20)}`);
    writeFileSync(join(dir, 'big.csv'), lines.join('\n') + '\n');
    const from = await h.connection('big', 'in', 'csv', { path: dir });
    const into = await h.connection('big', 'out', 'sqlite', { path: join(h.files, 'big.db') });
    const queries = ['REPLICATE [big]', 'REPLICATE [big_again] SELECT * FROM big'];
    const job = (await h.post(`${V2}/workspaces/big/jobs`, { name: 'long', source_connection_id: from, destination_connection_id: into, batch_size: 50, incremental_column: 'id', queries }).expect(201)).body;
    const first = (await h.post(`${V2}/jobs/${job.id}/execute`).expect(202)).body;
    const second = (await h.post(`${V2}/jobs/${job.id}/execute`).expect(200)).body;
    expect(second.id).toBe(first.id);
    await h.waitForRun(job.id, first.id, ['running']);
    const cancelling = (await h.post(`${V2}/jobs/${job.id}/cancel`).expect(200)).body;
    expect(['cancelling', 'cancelled']).toContain(cancelling.status);
    const cancelled = await h.waitForRun(job.id, first.id);
    expect(cancelled.status).toBe('cancelled');
    const written = cancelled.tasks[0].rows_written;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(500_000);
    expect(written % 50).toBe(0);
    expect(rows(join(h.files, 'big.db'), 'SELECT count(*) AS n FROM big')[0].n).toBe(written);
    // the stopped task says so, with its rows and the watermark they reached; the task after it never started
    expect(cancelled.tasks[0]).toMatchObject({ status: 'cancelled', rows_read: written, watermark: written });
    expect(cancelled.tasks[1]).toMatchObject({ status: 'skipped', rows_written: 0 });
    expect((await h.get(`${V2}/jobs/${job.id}/status`)).body).toMatchObject({ status: 'idle', last_run: { status: 'cancelled' } });
    await h.post(`${V2}/jobs/${job.id}/cancel`).expect(409);
  });
});

describe('queued runs (e2e, no workers)', () => {
  let h: Harness;
  let ends: { source_connection_id: string; destination_connection_id: string };
  beforeAll(async () => {
    h = await new Harness().start({ SLUICE_WORKERS: '0' });
    ends = { source_connection_id: await h.connection('q', 'q-from'), destination_connection_id: await h.connection('q', 'q-into') };
  });
  afterAll(() => h.destroy());

  it('refuses to run a job without a source, a destination or an active task, naming what is missing, and queues nothing', async () => {
    const { source_connection_id, destination_connection_id } = ends;
    const cases: Array<[object, string]> = [
      [{ destination_connection_id, queries: ['REPLICATE [A]'] }, 'source_connection_id'],
      [{ source_connection_id, queries: ['REPLICATE [A]'] }, 'destination_connection_id'],
      [{ ...ends }, 'tasks'],
    ];
    for (const [i, [body, field]] of cases.entries()) {
      const job = (await h.post(`${V2}/workspaces/q/jobs`, { name: `lacking-${i}`, ...body }).expect(201)).body;
      const refused = await h.post(`${V2}/jobs/${job.id}/execute`, {}).expect(400);
      expect(refused.body.error).toMatchObject({ code: 'JOB.NOT_RUNNABLE', field });
      expect((await h.get(`${V2}/jobs/${job.id}/history`).expect(200)).body.value).toEqual([]);
      expect((await h.get(`${V2}/jobs/${job.id}/status`)).body.status).toBe('idle');
    }
    const inactive = (await h.post(`${V2}/workspaces/q/jobs`, { name: 'inactive', ...ends, queries: ['REPLICATE [A]'] }).expect(201)).body;
    await h.put(`${V2}/jobs/${inactive.id}/tasks/${inactive.tasks[0].id}`, { is_active: false }).expect(200);
    expect((await h.post(`${V2}/jobs/${inactive.id}/execute`, {}).expect(400)).body.error.field).toBe('tasks');
  });

  it('cancels a queued run at once', async () => {
    const job = (await h.post(`${V2}/workspaces/q/jobs`, { name: 'waits', ...ends, queries: ['REPLICATE [A]'] }).expect(201)).body;
    const run = (await h.post(`${V2}/jobs/${job.id}/execute`, { tasks: [job.tasks[0].id] }).expect(202)).body;
    expect(run.status).toBe('queued');
    expect((await h.get(`${V2}/jobs/${job.id}/status`)).body.status).toBe('queued');
    const cancelled = (await h.post(`${V2}/jobs/${job.id}/cancel`).expect(200)).body;
    expect(cancelled.status).toBe('cancelled');
    expect((await h.get(`${V2}/jobs/${job.id}/status`)).body).toMatchObject({ status: 'idle', last_run: { status: 'cancelled' } });
    expect((await h.waitForRun(job.id, run.id)).tasks.map((t: { status: string }) => t.status)).toEqual(['skipped']);
    await h.post(`${V2}/jobs/${job.id}/execute`, { tasks: ['not-a-task'] }).expect(404);
  });

  it('refuses to update or delete a job, or delete a task, while it has an active run', async () => {
    const job = (await h.post(`${V2}/workspaces/q/jobs`, { name: 'busy', ...ends, queries: ['REPLICATE [A]'] }).expect(201)).body;
    await h.post(`${V2}/jobs/${job.id}/execute`).expect(202);
    const busy = await h.put(`${V2}/jobs/${job.id}`, { name: 'renamed' }).expect(409);
    expect(busy.body.error).toMatchObject({ code: 'JOB.RUNNING', message: expect.stringMatching(/is running \(run .*\) and cannot be updated/) });
    await h.delete(`${V2}/jobs/${job.id}`).expect(409);
    await h.delete(`${V2}/jobs/${job.id}/tasks/${job.tasks[0].id}`).expect(409);
    await h.post(`${V2}/jobs/${job.id}/tasks`, { query: 'REPLICATE [B]' }).expect(201);
    await h.post(`${V2}/jobs/${job.id}/cancel`).expect(200);
    await h.put(`${V2}/jobs/${job.id}`, { name: 'renamed' }).expect(200);
  });
});

describe('the worker, told of runs by the read models rather than by its poll (e2e)', () => {
  let h: Harness;
  // An hour between polls: a run that started here was started by an event.
  beforeAll(async () => (h = await new Harness().start({ SLUICE_WORKER_POLL_MS: '3600000', SLUICE_WORKERS: '1' })));
  afterAll(() => h.destroy());

  it('starts a run once it is queued, and the next one once the worker is free', async () => {
    const files = join(h.files, 'in');
    csv(files, 'items', ['id', 'name'], [[1, 'a'], [2, 'b']]);
    const src = await h.connection('wake', 'in', 'csv', { path: files });
    const dst = await h.connection('wake', 'out', 'sqlite', { path: join(h.files, 'out.db') });
    const jobs = await Promise.all(
      ['first', 'second'].map(async (name) => (await h.post(`${V2}/workspaces/wake/jobs`, { name, source_connection_id: src, destination_connection_id: dst, queries: ['REPLICATE [items]'] }).expect(201)).body.id as string),
    );
    const runs = await Promise.all(jobs.map(async (id) => (await h.post(`${V2}/jobs/${id}/execute`, {}).expect(202)).body.id as string));
    for (const [i, id] of jobs.entries()) expect((await h.waitForRun(id, runs[i])).status).toBe('succeeded');
  });
});
