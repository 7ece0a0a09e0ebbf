import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadModelProgress } from '../core/read-model-progress.js';
import { SqliteReadStore } from '../infrastructure/sqlite/sqlite-read-store.js';
import { JOB_TASKS, type JobRecord, JOBS } from '../jobs/jobs.read-model.js';
import { type RunDoc, RUNS } from '../runs/runs.read-model.js';
import { nextLaunchAt } from './datasync.model.js';
import { DataSyncLaunches, DataSyncLaunchesHandler, GetDataSync, GetDataSyncHandler, LaunchFile, LaunchFileHandler } from './datasyncs.queries.js';

const caughtUp: ReadModelProgress = { waitFor: async () => true, status: async () => [], onApplied: () => () => {} };
const schedule = { enabled: true, cron: '0 13 * * 1', timezone: 'UTC' };

const job = (id: string, changes: Partial<JobRecord> = {}) =>
  ({
    id,
    type: 'Export',
    name: id,
    enabled: true,
    schedule: { enabled: false, cron: '', timezone: 'UTC' },
    lastSlot: null,
    sourceConnectionId: 'c',
    destinationConnectionId: null,
    settings: { api_auth: false },
    ...changes,
  }) as unknown as JobRecord;

const run = (jobId: string, number: number, queuedAt: string, status: RunDoc['status'] = 'succeeded') =>
  ({ id: `run-${number}`, number, jobId, status, queuedAt, file: null, steps: [] }) as unknown as RunDoc;

describe('data sync queries', () => {
  let dir: string;
  let store: SqliteReadStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-datasync-queries-'));
    store = new SqliteReadStore(join(dir, 'reads.db'));
    await store.ensureCollection(JOBS, []);
    await store.ensureCollection(JOB_TASKS, []);
    await store.ensureCollection(RUNS, []);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("orders launches by number, not by queuedAt (clocks of two instances may disagree, or tie): the latest launch is the one queued last", async () => {
    // Run 12 was queued after run 11 on an instance whose clock is a second behind; 13 and 14 tie on the millisecond.
    const runs = [run('d', 11, '2026-01-01T10:00:01.000Z'), run('d', 12, '2026-01-01T10:00:00.000Z'), run('d', 14, '2026-01-01T10:00:02.000Z'), run('d', 13, '2026-01-01T10:00:02.000Z')];
    await store.write([{ collection: JOBS, op: 'upsert', doc: job('d') }, ...runs.map((doc) => ({ collection: RUNS, op: 'upsert' as const, doc }))]);
    const launches = await new DataSyncLaunchesHandler(store, caughtUp).execute(new DataSyncLaunches('d', 20));
    expect(launches.items.map((r) => r.number)).toEqual([14, 13, 12, 11]);
    const view = await new GetDataSyncHandler(store, caughtUp).execute(new GetDataSync('d'));
    expect(view.latestLaunch?.number).toBe(14);
    const pages = [await new DataSyncLaunchesHandler(store, caughtUp).execute(new DataSyncLaunches('d', 2))];
    pages.push(await new DataSyncLaunchesHandler(store, caughtUp).execute(new DataSyncLaunches('d', 2, pages[0].next)));
    expect(pages.flatMap((p) => p.items.map((r) => r.number))).toEqual([14, 13, 12, 11]);
    expect((await new LaunchFileHandler(store, caughtUp).execute(new LaunchFile('d', 'latest-export'))).run.number).toBe(14);
  });

  it('puts the next launch into the view: enabled exports on an enabled schedule only', async () => {
    const now = new Date('2022-01-14T20:00:00Z');
    expect(nextLaunchAt('export', { enabled: true, schedule }, now)).toBe('2022-01-17T13:00:00.000Z');
    expect(nextLaunchAt('export', { enabled: false, schedule }, now)).toBeNull();
    expect(nextLaunchAt('export', { enabled: true, schedule: { ...schedule, enabled: false } }, now)).toBeNull();
    // a schedule stored on an import or delete before they were refused one never fires
    expect(nextLaunchAt('import', { enabled: true, schedule }, now)).toBeNull();
    expect(nextLaunchAt('delete', { enabled: true, schedule }, now)).toBeNull();

    await store.write([
      { collection: JOBS, op: 'upsert', doc: job('weekly', { schedule }) },
      { collection: JOBS, op: 'upsert', doc: job('upload', { type: 'Import', schedule }) },
    ]);
    const view = (id: string) => new GetDataSyncHandler(store, caughtUp).execute(new GetDataSync(id));
    expect((await view('weekly')).nextLaunch).toMatch(/^\d{4}-\d\d-\d\dT13:00:00\.000Z$/);
    expect(new Date((await view('weekly')).nextLaunch!).getUTCDay()).toBe(1);
    expect((await view('upload')).nextLaunch).toBeNull();
  });
});
