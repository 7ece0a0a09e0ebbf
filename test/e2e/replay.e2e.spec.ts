import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewEvent } from '../../src/core/events.js';
import { READ_STORE, type ReadStore } from '../../src/core/read-store.js';
import { type Replay, REPLAYS, type Replays } from '../../src/core/replays.js';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store.js';
import { DEFAULT_SCHEDULE, DEFAULT_SETTINGS } from '../../src/jobs/job.model.js';
import { JOBS } from '../../src/jobs/jobs.read-model.js';
import { PROJECTIONS } from '../../projections/index.js';
import { takeReplayLease } from '../../projections/replay-lease.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { Harness, TOKEN } from './app.harness.js';

const V2 = '/api.rsc/v2';
const event = (type: string, data: unknown): NewEvent => ({
  id: randomUUID(),
  type,
  data,
  metadata: { actor: 'seed', correlationId: 'seed', occurredAt: '2026-01-01T00:00:00.000Z', schemaVersion: 1 },
});

/** A log big enough that a replay takes a moment: `jobs` jobs of ten events each. */
async function seededDir(jobs: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-replay-'));
  const seed = new SqliteEventStore(join(dir, 'events.db'));
  for (let j = 0; j < jobs; j++) {
    const jobId = `job${j}`;
    const definition = { name: `J${j}`, type: 'Standard', sourceConnectionId: null, destinationConnectionId: null, schedule: DEFAULT_SCHEDULE, settings: DEFAULT_SETTINGS };
    const tasks = Array.from({ length: 9 }, (_, i) => event('TaskAdded', { jobId, taskId: `t${i}`, query: `REPLICATE [t${i}]`, isActive: true, index: i }));
    await seed.append(`job-${jobId}`, [event('JobCreated', { jobId, workspaceId: 'w', ...definition }), ...tasks], 'no_stream');
  }
  await seed.close();
  return dir;
}

describe('POST /v1/admin/replay: a replay in the running service (e2e)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await new Harness(await seededDir(2000)).start({ SLUICE_WORKERS: '0' });
    await h.app.get(ProjectionRunner).waitFor('20000', 60_000);
  }, 90_000);
  afterAll(() => h.destroy());

  const waitFor = async (id: string) => {
    const seen: Replay[] = [];
    for (;;) {
      const replay: Replay = (await h.get(`/v1/admin/replay/${id}`).expect(200)).body;
      seen.push(replay);
      if (replay.status !== 'running') return seen;
    }
  };

  it('answers 202, refuses a second one with 409 while it runs, shows its progress, and ends swapped and verified', async () => {
    const jobsBefore = (await h.get(`${V2}/jobs/job1999`).expect(200)).body;
    // What GET /v1/admin/replay/{id} answers, sampled between every two turns of the event loop (over HTTP a
    // small replay can be over in a few round trips).
    const replays = h.app.get<Replays>(REPLAYS);
    const sampled: Replay[] = [];
    let sampling = true;
    const sample = () => {
      if (!sampling) return;
      for (const id of ids) sampled.push(replays.get(id));
      setImmediate(sample);
    };
    const ids: string[] = [];
    const started = await h.post('/v1/admin/replay').expect(202);
    ids.push(started.body.id);
    sample();
    expect(started.body).toMatchObject({ id: expect.any(String), status: 'running', requestedBy: 'token:admin', finishedAt: null, result: null });
    expect(started.body.projections.map((p: { name: string }) => p.name)).toEqual(PROJECTIONS.map((p) => p.name));
    const refused = await h.post('/v1/admin/replay', { projections: ['jobs'] }).expect(409);
    expect(refused.body.error).toMatchObject({ code: 'REPLAY.RUNNING' });

    const seen = await waitFor(started.body.id);
    sampling = false;
    const head = started.body.projections[0].total;
    expect(Number(head)).toBe(20_000);
    // Progress while it ran: events applied so far, at some position, of the log's head; then each verified.
    const midway = sampled.filter((r) => r.status === 'running').flatMap((r) => r.projections);
    expect(midway.some((p) => p.phase === 'rebuilding' && p.events > 0 && p.events < 20_000 && p.total === head && Number(p.position) === p.events)).toBe(true);
    expect(midway.some((p) => p.phase === 'verifying')).toBe(true);
    const done = seen.at(-1)!;
    expect(done).toMatchObject({ status: 'succeeded', finishedAt: expect.any(String), result: { swapped: true, verified: true, differences: [] } });
    expect(done.projections).toEqual(PROJECTIONS.map((p) => ({ name: p.name, phase: 'verified', events: 20_000, position: head, total: head, differences: 0 })));
    expect((await h.get(`${V2}/jobs/job1999`).expect(200)).body).toEqual(jobsBefore);
    // The next replay may start once this one has finished.
    const next = await h.post('/v1/admin/replay', { projections: ['connections'] }).expect(202);
    expect(next.body.projections.map((p: { name: string }) => p.name)).toEqual(['connections']);
    expect((await waitFor(next.body.id)).at(-1)?.status).toBe('succeeded');
  });

  it('replays a read model changed behind its back into what the log says, and says so', async () => {
    const reads = h.app.get<ReadStore>(READ_STORE);
    const job = (await reads.getApplied(JOBS, 'job7'))!;
    await reads.write([{ collection: JOBS, op: 'upsert', doc: { ...job, name: 'Changed by hand' } }]);
    expect((await h.get(`${V2}/jobs/job7`).expect(200)).body.name).toBe('Changed by hand');
    const { body } = await h.post('/v1/admin/replay', { projections: ['jobs'] }).expect(202);
    expect((await waitFor(body.id)).at(-1)).toMatchObject({ status: 'succeeded', result: { swapped: true, verified: true } });
    expect((await h.get(`${V2}/jobs/job7`).expect(200)).body.name).toBe('J7');
  });

  it('refuses with 409 while `npm run replay` or verify (or another instance) holds the replay lease', async () => {
    const lease = await takeReplayLease(h.app.get<ReadStore>(READ_STORE), 'verify');
    try {
      const res = await h.post('/v1/admin/replay').expect(409);
      expect(res.body.error.message).toMatch(/verify on /);
    } finally {
      if ('release' in lease) await lease.release();
    }
  });

  it('says which projections exist when asked for one that does not, and 404 for an unknown replay', async () => {
    const res = await h.post('/v1/admin/replay', { projections: ['jobs', 'nope'] }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'REPLAY.UNKNOWN_PROJECTION', field: 'projections' });
    expect(res.body.error.message).toContain('nope');
    await h.post('/v1/admin/replay', { projections: [] }).expect(400);
    await h.post('/v1/admin/replay', { projections: null }).expect(400);
    await h.get(`/v1/admin/replay/${randomUUID()}`).expect(404);
  });
});

describe('npm run verify and npm run replay (e2e, the built scripts)', () => {
  beforeAll(() => {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'ignore' });
  }, 120_000);

  it('verify names each field changed behind the projections’ back and exits 1; replay puts it right and verifies it; verify then exits 0', async () => {
    const files = mkdtempSync(join(tmpdir(), 'sluice-verify-files-'));
    writeFileSync(join(files, 'accounts.csv'), 'id,name\n1,Ada\n2,Linus\n');
    const h = await new Harness().start();
    const script = (name: string) => spawnSync(process.execPath, [`dist/projections/${name}.js`], { env: { ...process.env, SLUICE_DATA_DIR: h.dataDir, SLUICE_ADMIN_TOKEN: TOKEN }, encoding: 'utf8' });
    try {
      const src = await h.connection('v', 'files', 'csv', { path: files });
      const dst = await h.connection('v', 'out', 'csv', { path: join(files, 'out') });
      const { job } = await h.runJob('v', { name: 'copy', source_connection_id: src, destination_connection_id: dst, queries: ['REPLICATE [accounts]'] });
      await h.stop();

      expect(script('verify')).toMatchObject({ status: 0, stdout: expect.stringContaining('Verified') });
      const reads = new SqliteReadStore(join(h.dataDir, 'read-models.db'));
      const doc = (await reads.getApplied(JOBS, job.id))!;
      const line = (await reads.find('logs', { limit: 1 })).items[0];
      await reads.write([
        { collection: JOBS, op: 'upsert', doc: { ...doc, name: 'tampered' } },
        { collection: 'logs', op: 'delete', id: line.id },
      ]);
      await reads.close();

      const verify = script('verify');
      expect(verify.status).toBe(1);
      expect(verify.stdout).toContain(`jobs ${job.id} name: live "tampered", rebuilt "copy"`);
      expect(verify.stdout).toContain(`logs ${line.id}: live absent, rebuilt present`);
      expect(verify.stdout).toContain('2 difference(s)');

      const replay = script('replay');
      expect(replay.status).toBe(0);
      expect(replay.stdout).toContain('Verified');
      expect(script('verify')).toMatchObject({ status: 0, stdout: expect.stringContaining('Verified') });
    } finally {
      await h.destroy();
      rmSync(files, { recursive: true, force: true });
    }
  }, 60_000);
});
