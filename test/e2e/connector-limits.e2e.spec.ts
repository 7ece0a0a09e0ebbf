import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { SilentPostgres } from '../support/silent-postgres.js';
import { Harness } from './app.harness.js';

const V2 = '/api.rsc/v2';

/** Polls `probe` until it answers something truthy; throws with `what` after 15 s. */
async function eventually<T>(what: string, probe: () => Promise<T> | T): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Still waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A job reading from a connection with these settings (postgres unless said) into a SQLite file; answers its run. */
async function startBlockedRun(h: Harness, workspace: string, settings: object, query = 'REPLICATE [t]', kind = 'postgres') {
  const from = await h.connection(workspace, 'in', kind, settings);
  const into = await h.connection(workspace, 'out', 'sqlite', { path: join(h.files, `${workspace}.db`) });
  const job = (await h.post(`${V2}/workspaces/${workspace}/jobs`, { name: 'blocked', source_connection_id: from, destination_connection_id: into, queries: [query] }).expect(201)).body;
  const run = (await h.post(`${V2}/jobs/${job.id}/execute`).expect(202)).body;
  return { jobId: job.id as string, runId: run.id as string };
}

async function errorLines(h: Harness, runId: string): Promise<string[]> {
  return (await h.get(`/v1/runs/${runId}/logs?level=error`).expect(200)).body.lines.map((l: { message: string }) => l.message);
}

describe('a PostgreSQL that accepts connections and never answers (e2e)', () => {
  let h: Harness;
  let silent: SilentPostgres;
  let mute: SilentPostgres;

  beforeAll(async () => {
    silent = await new SilentPostgres('only').start();
    mute = await new SilentPostgres('session').start();
    h = await new Harness().start();
  });
  afterAll(async () => {
    await h?.destroy();
    await silent?.stop();
    await mute?.stop();
  });

  it('fails the run after connect_timeout_ms, with a log line naming the timeout', async () => {
    const { jobId, runId } = await startBlockedRun(h, 'connect', { url: silent.url(), connect_timeout_ms: 300 });
    const run = await h.waitForRun(jobId, runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/PostgreSQL at postgresql:\/\/127\.0\.0\.1:\d+\/db did not complete the connection within 300 ms \(connect_timeout_ms\)/);
    expect(run.tasks[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/^Task 1 \(\[t\] into \[t\]\) failed: .*connect_timeout_ms/) });
    expect(await errorLines(h, runId)).toContainEqual(expect.stringMatching(/connect_timeout_ms/));
    expect((await h.get(`${V2}/jobs/${jobId}/status`)).body).toMatchObject({ status: 'idle', last_run: { status: 'failed' } });
  });

  it('fails the run after read_timeout_ms when the server stops answering mid-session, and cancels the statement', async () => {
    const { jobId, runId } = await startBlockedRun(h, 'read', { url: mute.url(), read_timeout_ms: 300 });
    const run = await h.waitForRun(jobId, runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/sent no answer for 300 ms \(read_timeout_ms\); the statement was cancelled/);
    await eventually('the cancel request', () => mute.cancels.some((c) => c.pid === mute.pid && c.key === mute.key));
  });

  it('also gives up on the client side after statement_timeout_ms when the server does not end the statement itself', async () => {
    const { jobId, runId } = await startBlockedRun(h, 'statement', { url: mute.url(), statement_timeout_ms: 200 });
    const run = await h.waitForRun(jobId, runId);
    expect(run).toMatchObject({ status: 'failed', error: expect.stringMatching(/sent no answer for 1200 ms \(statement_timeout_ms is 200\)/) });
  });

  it('cancels a run blocked on connecting: the run ends cancelled, its task too', async () => {
    const { jobId, runId } = await startBlockedRun(h, 'cancel-connect', { url: silent.url(), connect_timeout_ms: 600_000 });
    await h.waitForRun(jobId, runId, ['running']);
    await h.post(`${V2}/jobs/${jobId}/cancel`).expect(200);
    const run = await h.waitForRun(jobId, runId, ['succeeded', 'failed', 'cancelled'], 10_000);
    expect(run.status).toBe('cancelled');
    expect(run.tasks[0].status).toBe('cancelled');
    expect((await h.get(`${V2}/jobs/${jobId}/status`)).body).toMatchObject({ status: 'idle', last_run: { status: 'cancelled' } });
  });

  it('cancels a run blocked on an answer: the server gets a cancel request for the session', async () => {
    const before = mute.cancels.length;
    const { jobId, runId } = await startBlockedRun(h, 'cancel-read', { url: mute.url(), read_timeout_ms: 600_000 });
    await h.waitForRun(jobId, runId, ['running']);
    await eventually('the session to be open', () => mute.open > 0);
    await h.post(`${V2}/jobs/${jobId}/cancel`).expect(200);
    const run = await h.waitForRun(jobId, runId, ['succeeded', 'failed', 'cancelled'], 10_000);
    expect(run.status).toBe('cancelled');
    await eventually('the cancel request', () => mute.cancels.length > before);
    await eventually('the session to be closed', () => mute.open === 0);
  });

  it('shuts down within the grace while a run is blocked, and ends that run failed saying why', async () => {
    const app = await new Harness().start({ SLUICE_SHUTDOWN_GRACE_MS: '300' });
    const { jobId, runId } = await startBlockedRun(app, 'shutdown', { url: silent.url(), connect_timeout_ms: 600_000 });
    await app.waitForRun(jobId, runId, ['running']);
    await app.stop();
    const again = await new Harness(app.dataDir).start();
    try {
      // the same process is alive and its heartbeat fresh: recovery would not end this run, the shutdown did
      const run = await again.waitForRun(jobId, runId, ['succeeded', 'failed', 'cancelled'], 5_000);
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/still working when the shutdown grace of 300 ms \(SLUICE_SHUTDOWN_GRACE_MS\) ran out, so it was interrupted/);
      const lines = await errorLines(again, runId);
      expect(lines[lines.length - 1]).toMatch(/^STOPPED after \[\d+\.\d\d\] seconds: Sluice shut down/);
      expect((await again.get(`${V2}/jobs/${jobId}/status`)).body).toMatchObject({ status: 'idle', last_run: { status: 'failed' } });
    } finally {
      await again.destroy();
    }
  });
});

describe('a PostgreSQL query blocked by a lock (e2e, real server)', () => {
  let server: TestPostgres;
  let admin: pg.Client;
  let locker: pg.Client;
  let h: Harness;

  /** Statements on the locked table other than the locker's own. */
  const leftovers = async () =>
    (await admin.query(`SELECT pid, state, query FROM pg_stat_activity WHERE query ILIKE '%"locked"%' AND pid <> $1 AND pid <> pg_backend_pid()`, [(locker as unknown as { processID: number }).processID])).rows;

  beforeAll(async () => {
    server = await startPostgres();
    admin = new pg.Client(server.url);
    await admin.connect();
    await admin.query('CREATE TABLE locked (id INT PRIMARY KEY, name TEXT); INSERT INTO locked VALUES (1, $$a$$), (2, $$b$$)');
    locker = new pg.Client(server.url);
    await locker.connect();
    await locker.query('BEGIN; LOCK TABLE locked IN ACCESS EXCLUSIVE MODE');
    h = await new Harness().start();
  });
  afterAll(async () => {
    await h?.destroy();
    await locker?.end();
    await admin?.end();
    await server?.stop();
  });

  it('ends the blocked statement on the server after statement_timeout_ms', async () => {
    const { jobId, runId } = await startBlockedRun(h, 'stmt', { url: server.url, statement_timeout_ms: 300 }, 'REPLICATE [copy] SELECT * FROM locked');
    const run = await h.waitForRun(jobId, runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/canceling statement due to statement timeout \(statement_timeout_ms is 300\)/);
    expect(await eventually('no statement left on the server', async () => (await leftovers()).length === 0)).toBe(true);
  });

  it('cancels the blocked statement on the server when the run is cancelled', async () => {
    const { jobId, runId } = await startBlockedRun(h, 'cancel', { url: server.url }, 'REPLICATE [copy] SELECT * FROM locked');
    await eventually('the statement to wait for the lock', async () => (await leftovers()).some((r) => r.state === 'active'));
    await h.post(`${V2}/jobs/${jobId}/cancel`).expect(200);
    const run = await h.waitForRun(jobId, runId, ['succeeded', 'failed', 'cancelled'], 10_000);
    expect(run.status).toBe('cancelled');
    expect(await eventually('no statement left on the server', async () => (await leftovers()).length === 0)).toBe(true);
  });
});

describe('a CSV file that sends nothing (e2e)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await new Harness().start();
  });
  afterAll(() => h?.destroy());

  it('fails the run after read_timeout_ms', async () => {
    const dir = join(h.files, 'pipe');
    mkdirSync(dir);
    execFileSync('mkfifo', [join(dir, 'feed.csv')]);
    // A writer that never writes: reads of the pipe wait for data that does not come.
    const writer = openSync(join(dir, 'feed.csv'), constants.O_RDWR);
    try {
      const from = await h.connection('pipe', 'in', 'csv', { path: dir, read_timeout_ms: 300 });
      const into = await h.connection('pipe', 'out', 'sqlite', { path: join(h.files, 'pipe.db') });
      const { run } = await h.runJob('pipe', { name: 'pipe', source_connection_id: from, destination_connection_id: into, queries: ['REPLICATE [feed]'] });
      expect(run).toMatchObject({ status: 'failed', error: expect.stringMatching(/feed\.csv sent no data for 300 ms \(read_timeout_ms\)/) });
    } finally {
      closeSync(writer);
    }
  });

  it('stops reading the file when the run is cancelled', async () => {
    const dir = join(h.files, 'pipe2');
    mkdirSync(dir);
    execFileSync('mkfifo', [join(dir, 'feed.csv')]);
    const writer = openSync(join(dir, 'feed.csv'), constants.O_RDWR);
    try {
      const { jobId, runId } = await startBlockedRun(h, 'pipe2', { path: dir, read_timeout_ms: 600_000 }, 'REPLICATE [feed]', 'csv');
      await h.waitForRun(jobId, runId, ['running']);
      await h.post(`${V2}/jobs/${jobId}/cancel`).expect(200);
      const run = await h.waitForRun(jobId, runId, ['succeeded', 'failed', 'cancelled'], 10_000);
      expect(run).toMatchObject({ status: 'cancelled', tasks: [{ status: 'cancelled' }] });
    } finally {
      closeSync(writer);
    }
  });
});
