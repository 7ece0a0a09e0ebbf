import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewEvent } from '../../src/core/events.js';
import { type Doc, READ_STORE, type ReadStore } from '../../src/core/read-store.js';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store.js';
import { DEFAULT_SCHEDULE, DEFAULT_SETTINGS } from '../../src/jobs/job.model.js';
import { PROJECTIONS } from '../../projections/index.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { Harness } from './app.harness.js';

const V2 = '/api.rsc/v2';

function event(type: string, data: unknown, at = '2026-01-01T00:00:00.000Z'): NewEvent {
  return { id: randomUUID(), type, data, metadata: { actor: 'seed', correlationId: 'seed', occurredAt: at, schemaVersion: 1 } };
}

/** Every document of every read model, as a reader sees them. */
async function readModels(store: ReadStore): Promise<Record<string, Doc[]>> {
  const all: Record<string, Doc[]> = {};
  for (const p of PROJECTIONS) for (const c of Object.keys(p.collections)) all[c] = (await store.find(c)).items;
  return all;
}

interface ProjectionHealth {
  state: 'current' | 'behind' | 'stalled';
  eventsBehind?: number;
  stalled?: { reason: string; position?: string; type?: string };
}

describe('projections in the running app (e2e)', () => {
  it('answers /health at once while catching up, saying how far behind each projection is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-lag-'));
    const seed = new SqliteEventStore(join(dir, 'events.db'));
    for (let j = 0; j < 2000; j++) {
      const jobId = `job${j}`;
      const definition = { name: `J${j}`, type: 'Standard', sourceConnectionId: null, destinationConnectionId: null, schedule: DEFAULT_SCHEDULE, settings: DEFAULT_SETTINGS };
      await seed.append(
        `job-${jobId}`,
        [
          event('JobCreated', { jobId, workspaceId: 'lag', ...definition }),
          ...Array.from({ length: 9 }, (_, i) => event('TaskAdded', { jobId, taskId: `t${i}`, query: `REPLICATE [t${i}]`, isActive: true, index: i })),
        ],
        'no_stream',
      );
    }
    await seed.close();
    const h = await new Harness(dir).start({ SLUICE_WORKERS: '0' });
    try {
      const seen: ProjectionHealth[][] = [];
      for (;;) {
        const res = await h.raw().get('/health').expect(200);
        const projections = Object.values(res.body.details.projections).filter((v): v is ProjectionHealth => typeof v === 'object' && v !== null && 'state' in v);
        seen.push(projections);
        if (projections.every((p) => p.state === 'current')) break;
      }
      expect(seen.some((answer) => answer.some((p) => p.state === 'behind' && (p.eventsBehind ?? 0) > 0))).toBe(true);
      expect(seen.at(-1)?.map((p) => p.eventsBehind)).toEqual(PROJECTIONS.map(() => 0));
      const job = (await h.get(`${V2}/jobs/job1999`).expect(200)).body;
      expect(job.tasks).toHaveLength(9);
    } finally {
      await h.destroy();
    }
  });

  it('shows a projection stalled on an event it cannot apply in /health, with the event and the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-stall-'));
    const seed = new SqliteEventStore(join(dir, 'events.db'));
    const { position } = await seed.append('run-broken', [event('RunQueued', { runId: 'broken', jobId: 'j', workspaceId: 'w', jobName: 'J', trigger: 'manual', requestedBy: 'x', tasks: null })], 'no_stream');
    await seed.close();
    const h = await new Harness(dir).start({ SLUICE_WORKERS: '0' });
    try {
      let runs: ProjectionHealth | undefined;
      let status = 0;
      for (let i = 0; runs?.state !== 'stalled'; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const res = await h.raw().get('/health');
        if (i === 100) throw new Error(JSON.stringify(res.body));
        status = res.status;
        runs = res.body.details?.projections?.runs;
      }
      expect(status).toBe(503);
      expect(runs.stalled).toMatchObject({ position, type: 'RunQueued' });
      expect(runs.stalled?.reason).toEqual(expect.any(String));
      // The other read models are not held up by it.
      expect((await h.raw().get('/health')).body.details.projections.jobs.state).toBe('current');
    } finally {
      await h.destroy();
    }
  });

  it('answers 202 with the position when the read model has not caught up with what was just written', async () => {
    const h = await new Harness().start({ SLUICE_WORKERS: '0' });
    try {
      await h.app.get(ProjectionRunner).stop();
      const res = await h.post(`${V2}/workspaces/w/jobs`, { name: 'late' });
      expect(res.status).toBe(202);
      expect(res.body.error).toMatchObject({ code: 'READ_MODEL.BEHIND', position: expect.any(String) });
      // The position is the job's own event (the workspace settles its name after it).
      const events = new SqliteEventStore(join(h.dataDir, 'events.db'));
      const created = (await events.readAll({ maxCount: 100 })).find((e) => e.type === 'JobCreated');
      expect(created?.position).toBe(res.body.error.position);
      await events.close();
    } finally {
      await h.destroy();
    }
  });

  it('runs two instances on one data dir: both answer reads, and their read models equal a rebuild', async () => {
    const files = mkdtempSync(join(tmpdir(), 'sluice-two-files-'));
    mkdirSync(files, { recursive: true });
    writeFileSync(join(files, 'accounts.csv'), 'id,name\n1,Ada\n2,Linus\n');
    const a = await new Harness().start();
    const b = await new Harness(a.dataDir).start();
    try {
      const src = await a.connection('two', 'files', 'csv', { path: files });
      const dst = await b.connection('two', 'out', 'csv', { path: join(files, 'out') });
      const job = (await a.post(`${V2}/workspaces/two/jobs`, { name: 'copy', source_connection_id: src, destination_connection_id: dst, queries: ['REPLICATE [accounts]'] }).expect(201)).body;
      const task = (await b.post(`${V2}/jobs/${job.id}/tasks`, { query: 'REPLICATE [copy] SELECT * FROM [accounts]' }).expect(201)).body;
      expect(task.query).toBe('REPLICATE [copy] SELECT * FROM [accounts]');
      const run = (await b.post(`${V2}/jobs/${job.id}/execute`, {}).expect(202)).body;
      expect(await a.waitForRun(job.id, run.id)).toMatchObject({ status: 'succeeded', rows_written: 4 });
      await b.waitForRun(job.id, run.id);
      // Each answers reads of what the other wrote.
      for (const h of [a, b]) expect((await h.get(`${V2}/jobs/${job.id}`).expect(200)).body.tasks).toHaveLength(2);

      const seenByA = await readModels(a.app.get<ReadStore>(READ_STORE));
      expect(await readModels(b.app.get<ReadStore>(READ_STORE))).toEqual(seenByA);
      await b.stop();
      await a.stop();
      const events = new SqliteEventStore(join(a.dataDir, 'events.db'));
      const reads = new SqliteReadStore(join(a.dataDir, 'read-models.db'));
      const runner = new ProjectionRunner(events, reads, PROJECTIONS);
      for (const p of PROJECTIONS) await runner.rebuild(p);
      expect(await readModels(reads)).toEqual(seenByA);
      await events.close();
      await reads.close();
    } finally {
      await b.stop();
      await a.destroy();
      rmSync(files, { recursive: true, force: true });
    }
  });
});
