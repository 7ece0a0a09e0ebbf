import type { DomainEvent } from '../src/core/events.js';
import { APPLIED } from '../src/core/read-store.js';
import { toNewEvent } from '../src/core/write-path.js';
import type { SqliteEventStore } from '../src/infrastructure/sqlite/sqlite-event-store.js';
import type { SqliteReadStore } from '../src/infrastructure/sqlite/sqlite-read-store.js';
import { type EmbeddedStores, openEmbeddedStores } from '../test/support/embedded-stores.js';
import { DEFAULT_SCHEDULE, DEFAULT_SETTINGS } from '../src/jobs/job.model.js';
import { JOBS } from '../src/jobs/jobs.read-model.js';
import { LOGS, RUNS } from '../src/runs/runs.read-model.js';
import { PROJECTIONS, projectionsFor } from './index.js';
import { rebuildAndSwap } from './rebuild.js';
import { ProjectionRunner } from './runner.js';
import { verifyReadModels } from './verification.js';

let n = 0;
const at = () => new Date(Date.UTC(2026, 0, 1) + n * 1000);
const stored = (e: DomainEvent) => toNewEvent(e, { actor: 'token:admin', correlationId: 'c', commandId: `cmd-${n++}`, clock: at }, '0');

const jobCreated = (jobId: string): DomainEvent => ({
  type: 'JobCreated',
  data: { jobId, workspaceId: 'w', name: `Job ${jobId}`, type: 'Standard', sourceConnectionId: null, destinationConnectionId: null, schedule: DEFAULT_SCHEDULE, settings: DEFAULT_SETTINGS },
});
const runQueued = (runId: string, jobId: string): DomainEvent => ({
  type: 'RunQueued',
  data: { runId, jobId, workspaceId: 'w', jobName: `Job ${jobId}`, trigger: 'manual', requestedBy: 'token:admin', sourceConnectionId: null, destinationConnectionId: null, settings: DEFAULT_SETTINGS, tasks: [{ taskId: 't', query: 'REPLICATE [t]', incrementalColumn: null, watermark: null }] },
});
const progress = (runId: string, rows: number): DomainEvent => ({
  type: 'StepProgress',
  data: { runId, taskId: 't', rowsProcessed: rows, sinceLastCheck: 1, latencyMs: { min: 1, max: 1, avg: 1 }, lastId: rows },
});
const logged = (runId: string, jobId: string, message: string): DomainEvent => ({ type: 'RunLogged', data: { runId, jobId, level: 'info', message } });

describe('verify: the read models against a rebuild from the log', () => {
  let stores: EmbeddedStores;
  let events: SqliteEventStore;
  let reads: SqliteReadStore;
  let runner: ProjectionRunner;

  beforeEach(async () => {
    stores = openEmbeddedStores('sluice-verify-');
    ({ events, reads } = stores);
    runner = new ProjectionRunner(events, reads, PROJECTIONS);
    for (let j = 0; j < 20; j++) {
      await events.append(`job-j${j}`, [stored(jobCreated(`j${j}`))], 'no_stream');
      await events.append(`run-r${j}`, [stored(runQueued(`r${j}`, `j${j}`)), ...Array.from({ length: 30 }, (_, i) => stored(logged(`r${j}`, `j${j}`, `line ${i}`)))], 'no_stream');
    }
    await runner.start();
    await runner.waitFor(await events.lastPosition());
  });
  afterEach(async () => {
    await runner.stop();
    await stores.close();
  });

  it('finds nothing to report in read models the projections built, and leaves no scratch collections behind', async () => {
    expect(await verifyReadModels(events, reads, PROJECTIONS)).toEqual([]);
    expect(await reads.find(`${JOBS}__verify`).then(() => 'exists', () => 'dropped')).toBe('dropped');
  });

  it('does not report log lines a retention dropped from the rebuild but the hourly prune has not reached yet', async () => {
    // The live model kept every line (no retention then); with one now, every line of 2026-01-01 is past it.
    const keeping = projectionsFor({ logRetentionDays: 30 });
    expect(await verifyReadModels(events, reads, keeping)).toEqual([]);
    expect((await reads.find(LOGS, { limit: 1 })).items).toEqual([]);
  });

  it('names the collection, document and field of each change made behind the projections’ back, and passes after a replay', async () => {
    await runner.stop();
    const job = (await reads.getApplied(JOBS, 'j3'))!;
    const line = (await reads.find(LOGS, { limit: 1 })).items[0];
    await reads.write([
      { collection: JOBS, op: 'upsert', doc: { ...job, name: 'Renamed by hand', settings: { ...(job.settings as object), batch_size: 7 } } },
      { collection: LOGS, op: 'delete', id: line.id },
      { collection: RUNS, op: 'upsert', doc: { id: 'ghost', status: 'running' } },
    ]);
    const differences = await verifyReadModels(events, reads, PROJECTIONS);
    expect(differences).toEqual(
      expect.arrayContaining([
        { collection: JOBS, id: 'j3', field: 'name', live: 'Renamed by hand', rebuilt: 'Job j3' },
        { collection: JOBS, id: 'j3', field: 'settings.batch_size', live: 7, rebuilt: DEFAULT_SETTINGS.batch_size },
        { collection: LOGS, id: line.id, field: '(document)', live: 'absent', rebuilt: 'present' },
        { collection: RUNS, id: 'ghost', field: '(document)', live: 'present', rebuilt: 'absent' },
      ]),
    );
    expect(differences).toHaveLength(4);

    await rebuildAndSwap(events, reads, PROJECTIONS);
    expect(await verifyReadModels(events, reads, PROJECTIONS)).toEqual([]);
    expect((await reads.get(JOBS, 'j3'))?.name).toBe('Job j3');
  });

  it('reports no false difference while the live models keep moving under it', async () => {
    let appending = true;
    let rows = 0;
    const appender = (async () => {
      while (appending) {
        const j = rows % 20;
        const last = await events.readLast(`run-r${j}`);
        await events.append(`run-r${j}`, [stored(progress(`r${j}`, ++rows)), stored(logged(`r${j}`, `j${j}`, `more ${rows}`))], last!.revision);
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      // Wait until the live model is visibly moving: it changes documents while verify compares them.
      while (rows < 20) await new Promise((r) => setTimeout(r, 5));
      const positionBefore = await events.lastPosition();
      expect(await verifyReadModels(events, reads, PROJECTIONS)).toEqual([]);
      expect(Number(await events.lastPosition())).toBeGreaterThan(Number(positionBefore));
    } finally {
      appending = false;
      await appender;
    }
  });

  it('reports a document the live model claims to have changed past its own checkpoint', async () => {
    await runner.stop();
    const job = (await reads.getApplied(JOBS, 'j1'))!;
    await reads.write([{ collection: JOBS, op: 'upsert', doc: { ...job, name: 'From the future', [APPLIED]: '9'.repeat(20) } }]);
    expect(await verifyReadModels(events, reads, PROJECTIONS)).toEqual([{ collection: JOBS, id: 'j1', field: 'name', live: 'From the future', rebuilt: 'Job j1' }]);
  }, 20_000);
});
