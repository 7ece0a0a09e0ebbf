import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import { PROJECTIONS } from '../../projections/index.js';
import { verifyReadModels } from '../../projections/verification.js';
import type { DomainEvent } from '../../src/core/events.js';
import { toNewEvent } from '../../src/core/write-path.js';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store.js';
import { DEFAULT_SCHEDULE, DEFAULT_SETTINGS } from '../../src/jobs/job.model.js';
import { SilentPostgres } from '../support/silent-postgres.js';
import { Harness, TOKEN } from './app.harness.js';

const V2 = '/api.rsc/v2';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Sluice as its own process (the built app), so the test can kill it like a crash would. */
async function startProcess(dataDir: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: { ...process.env, SLUICE_DATA_DIR: dataDir, SLUICE_ADMIN_TOKEN: TOKEN, PORT: String(port), ...env },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    const up = await request(url).get('/health').then((r) => r.status === 200, () => false);
    if (up) return { child, url };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('Sluice did not start');
}

describe('Sluice as its own process: a crash mid-run, and npm run replay (e2e)', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
  }, 120_000);

  it('ends the run failed with the reason in its log and the rows of its last progress at the next start, and the job can run again', async () => {
    const h = new Harness();
    const dir = join(h.files, 'in');
    mkdirSync(dir, { recursive: true });
    const lines = ['id,payload'];
    for (let i = 1; i <= 400_000; i++) lines.push(`${i},payload-${i}`);
    writeFileSync(join(dir, 'big.csv'), lines.join('\n') + '\n');

    const { child, url } = await startProcess(h.dataDir);
    const api = (method: 'get' | 'post', path: string, body?: object) => request(url)[method](path).set('x-cdata-authtoken', TOKEN).send(body);
    let jobId: string;
    let runId: string;
    try {
      const conn = async (name: string, kind: string, settings: object) =>
        (await api('post', `${V2}/workspaces/crash/connections`, { name, kind, settings }).expect(201)).body.id;
      const from = await conn('in', 'csv', { path: dir });
      const into = await conn('out', 'sqlite', { path: join(h.files, 'out.db') });
      jobId = (await api('post', `${V2}/workspaces/crash/jobs`, { name: 'doomed', source_connection_id: from, destination_connection_id: into, batch_size: 1, queries: ['REPLICATE [big]'] }).expect(201)).body.id;
      runId = (await api('post', `${V2}/jobs/${jobId}/execute`, {}).expect(202)).body.id;
      // Crash once the run has recorded some progress (about every second).
      const progressed = async () => (await api('get', `/v1/runs/${runId}`)).body.steps?.[0]?.metrics?.rowsProcessed > 0;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline && !(await progressed()); ) await new Promise((r) => setTimeout(r, 25));
      expect((await api('get', `${V2}/jobs/${jobId}/status`)).body.status).toBe('running');
      expect(await progressed()).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }

    await h.start();
    try {
      const run = await h.waitForRun(jobId, runId);
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/Run abandoned: its worker \(pid \d+ on .*\) is gone/);
      const logs = (await h.get(`/v1/runs/${runId}/logs?level=error`)).body.lines;
      expect(logs[logs.length - 1].message).toMatch(/Run abandoned/);
      const progress = (await h.events(`run-${runId}`)).filter((e) => e.type === 'StepProgress');
      const rows = progress[progress.length - 1].data.rowsProcessed as number;
      expect(rows).toBeGreaterThan(0);
      expect(run).toMatchObject({ rows_read: rows, rows_written: rows });
      expect(run.tasks[0]).toMatchObject({ status: 'failed', rows_written: rows });
      expect(Date.parse(run.finished_at) - Date.parse(run.started_at)).toBe(run.duration_ms);
      expect((await h.get(`${V2}/jobs/${jobId}/status`)).body).toMatchObject({ status: 'idle', last_run: { id: runId, status: 'failed' } });
      const again = (await h.post(`${V2}/jobs/${jobId}/execute`, {}).expect(202)).body;
      expect(again.id).not.toBe(runId);
      await h.post(`${V2}/jobs/${jobId}/cancel`).expect(200);
    } finally {
      await h.destroy();
    }
  }, 90_000);

  it('exits on SIGTERM while a run waits on a PostgreSQL that never answers, ending the run failed within the grace', async () => {
    const silent = await new SilentPostgres('only').start();
    const h = new Harness();
    const { child, url } = await startProcess(h.dataDir, { SLUICE_SHUTDOWN_GRACE_MS: '300' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const api = (method: 'get' | 'post', path: string, body?: object) => request(url)[method](path).set('x-cdata-authtoken', TOKEN).send(body);
    let jobId: string;
    let runId: string;
    try {
      const conn = async (name: string, kind: string, settings: object) =>
        (await api('post', `${V2}/workspaces/term/connections`, { name, kind, settings }).expect(201)).body.id;
      const from = await conn('in', 'postgres', { url: silent.url(), connect_timeout_ms: 600_000 });
      const into = await conn('out', 'sqlite', { path: join(h.files, 'out.db') });
      jobId = (await api('post', `${V2}/workspaces/term/jobs`, { name: 'stuck', source_connection_id: from, destination_connection_id: into, queries: ['REPLICATE [t]'] }).expect(201)).body.id;
      runId = (await api('post', `${V2}/jobs/${jobId}/execute`, {}).expect(202)).body.id;
      for (let i = 0; i < 200 && (await api('get', `${V2}/jobs/${jobId}/status`)).body.status !== 'running'; i++) await new Promise((r) => setTimeout(r, 25));
      child.kill('SIGTERM');
      await exited;
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await silent.stop();
    }

    await h.start();
    try {
      const run = await h.waitForRun(jobId, runId);
      // ended by the shutdown itself, not by the next start's recovery of an abandoned run
      expect(run).toMatchObject({ status: 'failed', error: expect.stringMatching(/shutdown grace of 300 ms \(SLUICE_SHUTDOWN_GRACE_MS\) ran out/) });
    } finally {
      await h.destroy();
    }
  });

  it('replays every read model from the log into the same documents, reporting events/s', async () => {
    const h = await new Harness().start();
    const job = (await h.post(`${V2}/workspaces/replay/jobs`, { name: 'Replayed', queries: ['REPLICATE [A]', 'REPLICATE [B]'] }).expect(201)).body;
    await h.post(`${V2}/jobs/${job.id}/tasks/${job.tasks[1].id}/move`, { to_index: 0 }).expect(200);
    const before = (await h.get(`${V2}/jobs/${job.id}`)).body;
    await h.stop();
    const output = execFileSync(process.execPath, ['dist/projections/replay.js'], {
      env: { ...process.env, SLUICE_DATA_DIR: h.dataDir, SLUICE_ADMIN_TOKEN: TOKEN },
      encoding: 'utf8',
    });
    for (const name of ['jobs', 'connections', 'runs', 'logs']) expect(output).toMatch(new RegExp(`'${name}'\\s*│\\s*\\d+`));
    expect(output).toMatch(/events\/s/);
    await h.start();
    try {
      expect((await h.get(`${V2}/jobs/${job.id}`)).body).toEqual(before);
    } finally {
      await h.destroy();
    }
  });

  it('commits every read model of a batch together: killed while catching up, it resumes from one checkpoint into exactly the rebuilt documents', async () => {
    const h = new Harness();
    mkdirSync(h.dataDir, { recursive: true });
    const events = new SqliteEventStore(join(h.dataDir, 'events.db'));
    const ctx = (id: string) => ({ actor: 'test', correlationId: 'crash', commandId: id, clock: () => new Date() });
    for (let j = 0; j < 600; j++) {
      const jobId = `job${j}`;
      const created: DomainEvent = { type: 'JobCreated', data: { jobId, workspaceId: 'crash', name: jobId, type: 'Standard', enabled: true, sourceConnectionId: null, destinationConnectionId: null, schedule: DEFAULT_SCHEDULE, settings: DEFAULT_SETTINGS } };
      const tasks = Array.from({ length: 99 }, (_, i): DomainEvent => ({ type: 'TaskAdded', data: { jobId, taskId: `t${i}`, query: `REPLICATE [t${i}]`, isActive: true, index: i } }));
      await events.append(`job-${jobId}`, [created, ...tasks].map((e, i) => toNewEvent(e, ctx(`${jobId}-${i}`), '0')), 'no_stream');
    }
    const head = (await events.lastPosition())!;
    const checkpoints = () => {
      const db = new Database(join(h.dataDir, 'read-models.db'), { readonly: true, fileMustExist: true });
      try {
        return db.prepare('SELECT projection, position FROM checkpoints').all() as Array<{ projection: string; position: string | null }>;
      } catch {
        return [];
      } finally {
        db.close();
      }
    };
    const port = await freePort();
    const child = spawn(process.execPath, ['dist/src/main.js'], { env: { ...process.env, SLUICE_DATA_DIR: h.dataDir, SLUICE_ADMIN_TOKEN: TOKEN, PORT: String(port) }, stdio: 'ignore' });
    try {
      const partway = () => {
        try {
          const jobs = checkpoints().find((c) => c.projection === 'jobs')?.position;
          return jobs !== undefined && jobs !== null && Number(jobs) > 1000 && Number(jobs) < Number(head) - 1000;
        } catch {
          return false;
        }
      };
      for (const deadline = Date.now() + 60_000; Date.now() < deadline && !partway(); ) await new Promise((r) => setTimeout(r, 5));
      expect(partway()).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    const killed = checkpoints().filter((c) => PROJECTIONS.some((p) => p.name === c.projection));
    expect(killed).toHaveLength(PROJECTIONS.length);
    expect(new Set(killed.map((c) => c.position)).size).toBe(1);

    const { child: again } = await startProcess(h.dataDir);
    try {
      const caughtUp = () => checkpoints().filter((c) => c.position === head).length === PROJECTIONS.length;
      for (const deadline = Date.now() + 60_000; Date.now() < deadline && !caughtUp(); ) await new Promise((r) => setTimeout(r, 50));
      expect(caughtUp()).toBe(true);
    } finally {
      again.kill('SIGTERM');
      await new Promise((r) => again.once('exit', r));
    }
    const reads = new SqliteReadStore(join(h.dataDir, 'read-models.db'));
    try {
      expect(await verifyReadModels(events, reads, PROJECTIONS)).toEqual([]);
    } finally {
      await reads.close();
      await events.close();
      await h.destroy();
    }
  }, 180_000);

  it('survives a cancel while an upload is staged for SQLite: the import fails, the process goes on', async () => {
    const h = new Harness();
    // Each batch handed to the interrupted stage writer is refused while the next one is read: a refusal left
    // unhandled in that time ends the process (Node's default for an unhandled rejection), and with it every run.
    const script = `
      import { mkdirSync, readdirSync } from 'node:fs';
      import { createRequire } from 'node:module';
      import { join } from 'node:path';
      // The script lives in a temp directory: the repository's packages are found from its package.json.
      const Database = createRequire(join(process.cwd(), 'package.json'))('better-sqlite3');
      const { importCsv } = await import(join(process.cwd(), 'dist/src/execution/csv-import.js'));
      const { SqliteConnector } = await import(join(process.cwd(), 'dist/src/execution/connectors/sqlite.connector.js'));
      const [dir] = process.argv.slice(2);
      mkdirSync(join(dir, 'tmp'), { recursive: true });
      new Database(join(dir, 'db.sqlite')).exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)').close();
      const connector = new SqliteConnector(join(dir, 'db.sqlite'), join(dir, 'tmp'));
      const content = (async function* () {
        yield Buffer.from('id,name\\n');
        let interrupted = false;
        for (let id = 2; id < 20; id += 2) {
          if (!interrupted && readdirSync(join(dir, 'tmp')).length) interrupted = (connector.interrupt(), true);
          await new Promise((resolve) => setTimeout(resolve, 30));
          yield Buffer.from(id + ',x\\n' + (id + 1) + ',y\\n');
        }
      })();
      try {
        await importCsv({ connector, table: 't', content, kind: 'Import', keyColumns: null, batchSize: 2, checkTypes: true });
        console.log('applied');
      } catch (error) {
        console.log('failed: ' + error.message);
      } finally {
        await connector.close();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      console.log('still running, stage left: ' + readdirSync(join(dir, 'tmp')).length);
    `;
    try {
      mkdirSync(h.files, { recursive: true });
      writeFileSync(join(h.files, 'interrupt.mjs'), script);
      const output = execFileSync(process.execPath, [join(h.files, 'interrupt.mjs'), h.files], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(output).toBe('failed: Interrupted: interrupted\nstill running, stage left: 0\n');
    } finally {
      await h.destroy();
    }
  });

  it('at the first start says where the generated admin token is kept, never the token itself', async () => {
    const h = new Harness();
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, SLUICE_DATA_DIR: h.dataDir, PORT: String(port) };
    delete env.SLUICE_ADMIN_TOKEN;
    const child = spawn(process.execPath, ['dist/src/main.js'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    try {
      for (let i = 0; i < 200 && !/Admin token|admin token/.test(output); i++) await new Promise((r) => setTimeout(r, 100));
      const token = readFileSync(join(h.dataDir, 'admin-token'), 'utf8').trim();
      expect(token.length).toBeGreaterThan(20);
      expect(output).toContain(join(h.dataDir, 'admin-token'));
      expect(output).not.toContain(token);
    } finally {
      child.kill('SIGKILL');
      await h.destroy();
    }
  });
});
