import { hostname } from 'node:os';
import { PROJECTIONS } from '../../projections/index.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { type CommandContext, decideAndAppend, loadState } from '../core/write-path.js';
import type { SqliteEventStore } from '../infrastructure/sqlite/sqlite-event-store.js';
import type { SqliteReadStore } from '../infrastructure/sqlite/sqlite-read-store.js';
import { type EmbeddedStores, openEmbeddedStores } from '../../test/support/embedded-stores.js';
import { jobDecider } from '../jobs/job.decider.js';
import { DEFAULT_SETTINGS } from '../jobs/job.model.js';
import { runDecider } from '../runs/run.decider.js';
import { cancelRun, ExecuteJob, ExecuteJobHandler } from '../runs/runs.commands.js';
import { type RunDoc, RUNS } from '../runs/runs.read-model.js';
import { INSTANCES, recoverAbandonedRuns, releaseJobsWithLostRuns } from './recovery.js';

const at = (date: Date, id: string): CommandContext => ({ actor: 'test', correlationId: id, commandId: id, clock: () => date });
const self = { instanceId: 'me', hostname: hostname(), pid: process.pid };

describe('recovery', () => {
  let stores: EmbeddedStores;
  let events: SqliteEventStore;
  let reads: SqliteReadStore;
  let runner: ProjectionRunner;

  beforeEach(async () => {
    stores = openEmbeddedStores('sluice-recovery-');
    ({ events, reads } = stores);
    runner = new ProjectionRunner(events, reads, PROJECTIONS);
    await runner.start();
    await reads.ensureCollection(INSTANCES, []);
    const create = { type: 'CreateJob' as const, data: { jobId: 'j', workspaceId: 'w', name: 'J', type: 'Standard' as const, sourceConnectionId: 'a', destinationConnectionId: 'b', tasks: [{ id: 't', query: 'REPLICATE [A]', isActive: true }] } };
    await decideAndAppend(events, 'job-j', jobDecider, create, at(new Date(), 'create'));
  });
  afterEach(async () => {
    await runner.stop();
    await stores.close();
  });

  async function requestRun(runId: string, when: Date) {
    const { position } = await decideAndAppend(events, 'job-j', jobDecider, { type: 'RequestRun', data: { runId, trigger: 'manual' } }, at(when, `req-${runId}`));
    await runner.waitFor(position);
  }

  it('fails a run whose worker process is gone, logs why, and frees the job', async () => {
    await requestRun('r1', new Date());
    const plan = { runId: 'r1', jobId: 'j', workspaceId: 'w', jobName: 'J', trigger: 'manual' as const, requestedBy: 't', sourceConnectionId: null, destinationConnectionId: null, settings: DEFAULT_SETTINGS, tasks: [] };
    await decideAndAppend(events, 'run-r1', runDecider, { type: 'QueueRun', data: plan }, at(new Date(), 'q'));
    const dead = { instanceId: 'other', hostname: hostname(), pid: 2 ** 22 + 12345 };
    const { position } = await decideAndAppend(events, 'run-r1', runDecider, { type: 'StartRun', data: { owner: dead } }, at(new Date(), 's'));
    await runner.waitFor(position);

    expect(await recoverAbandonedRuns(events, reads, self, at(new Date(), 'rec'))).toBe(1);
    const run = await loadState(events, 'run-r1', runDecider);
    expect(run.state.status).toBe('failed');
    const log = (await events.readStream('run-r1')).find((e) => e.type === 'RunLogged');
    expect((log?.data as { message: string }).message).toMatch(/Run abandoned: its worker \(pid \d+ on .*\) is gone/);
    expect((await loadState(events, 'job-j', jobDecider)).state).toMatchObject({ activeRunId: null });
  });

  it('keeps the rows of an unfinished task\'s last recorded progress, and names the queued run as the cause', async () => {
    await requestRun('r3', new Date());
    const task = { taskId: 't1', query: 'REPLICATE [A]', incrementalColumn: null, watermark: null };
    const plan = { runId: 'r3', jobId: 'j', workspaceId: 'w', jobName: 'J', trigger: 'manual' as const, requestedBy: 't', sourceConnectionId: null, destinationConnectionId: null, settings: DEFAULT_SETTINGS, tasks: [task] };
    await decideAndAppend(events, 'run-r3', runDecider, { type: 'QueueRun', data: plan }, at(new Date(), 'q'));
    const dead = { instanceId: 'other', hostname: hostname(), pid: 2 ** 22 + 12345 };
    await decideAndAppend(events, 'run-r3', runDecider, { type: 'StartRun', data: { owner: dead } }, at(new Date(Date.now() - 5000), 's'));
    const progress = (rowsProcessed: number) => ({ type: 'StepProgress' as const, data: { runId: 'r3', taskId: 't1', rowsProcessed, sinceLastCheck: 0, latencyMs: { min: 1, max: 1, avg: 1 }, lastId: rowsProcessed } });
    const worked = [{ type: 'StepStarted' as const, data: { runId: 'r3', taskId: 't1', source: 'A', destination: 'A' } }, progress(100), progress(250)];
    const { position } = await decideAndAppend(events, 'run-r3', runDecider, { type: 'Record', data: { events: worked } }, at(new Date(), 'w'));
    await runner.waitFor(position);

    expect(await recoverAbandonedRuns(events, reads, self, at(new Date(), 'rec'))).toBe(1);
    await runner.waitFor(await events.lastPosition());
    const run = await reads.get<RunDoc>(RUNS, 'r3');
    expect(run).toMatchObject({ status: 'failed', rowsRead: 250, rowsWritten: 250 });
    expect(run!.steps[0]).toMatchObject({ status: 'failed', rowsWritten: 250, error: expect.stringMatching(/250 rows were written before/) });
    expect(Date.parse(run!.finishedAt!) - Date.parse(run!.startedAt!)).toBe(run!.durationMs);
    expect(run!.durationMs).toBeGreaterThanOrEqual(5000);

    const stream = await events.readStream('run-r3');
    const written = [...stream.filter((e) => e.metadata.correlationId === 'rec'), ...(await events.readStream('job-j')).filter((e) => e.type === 'RunEnded')];
    expect(written.map((e) => e.type)).toEqual(['StepFailed', 'RunLogged', 'RunFinished', 'RunEnded']);
    expect(written.every((e) => e.metadata.causationId === stream[0].id)).toBe(true);
  });

  it('tells of an abandoned data sync import that its file was most likely not applied, counting the rows it had staged as read', async () => {
    await requestRun('r6', new Date());
    const task = { taskId: 't1', query: 'REPLICATE [A]', incrementalColumn: null, watermark: null };
    const plan = { runId: 'r6', jobId: 'j', workspaceId: 'w', jobName: 'J', trigger: 'manual' as const, requestedBy: 't', sourceConnectionId: null, destinationConnectionId: 'b', settings: DEFAULT_SETTINGS, tasks: [task], type: 'Import' as const, file: 'uploads/r6.csv' };
    await decideAndAppend(events, 'run-r6', runDecider, { type: 'QueueRun', data: plan }, at(new Date(), 'q'));
    const dead = { instanceId: 'other', hostname: hostname(), pid: 2 ** 22 + 12345 };
    await decideAndAppend(events, 'run-r6', runDecider, { type: 'StartRun', data: { owner: dead } }, at(new Date(), 's'));
    const staged = { type: 'StepProgress' as const, data: { runId: 'r6', taskId: 't1', rowsProcessed: 3000, sinceLastCheck: 3000, latencyMs: { min: 1, max: 1, avg: 1 }, lastId: 3000 } };
    const worked = [{ type: 'StepStarted' as const, data: { runId: 'r6', taskId: 't1', source: 'upload', destination: 'A' } }, staged];
    const { position } = await decideAndAppend(events, 'run-r6', runDecider, { type: 'Record', data: { events: worked } }, at(new Date(), 'w'));
    await runner.waitFor(position);

    expect(await recoverAbandonedRuns(events, reads, self, at(new Date(), 'rec'))).toBe(1);
    await runner.waitFor(await events.lastPosition());
    const run = await reads.get<RunDoc>(RUNS, 'r6');
    expect(run).toMatchObject({ status: 'failed', rowsRead: 3000, rowsWritten: 0, error: expect.stringMatching(/Its file is applied all or nothing and most likely was not .*: check the table before uploading it again\.$/) });
    expect(run!.steps[0]).toMatchObject({ status: 'failed', rowsRead: 3000, rowsWritten: 0, error: expect.stringMatching(/most likely before its file was applied \(all or nothing\); 3000 of its rows had been read$/) });
  });

  it('leaves a run alone while its owner is alive', async () => {
    await requestRun('r2', new Date());
    const plan = { runId: 'r2', jobId: 'j', workspaceId: 'w', jobName: 'J', trigger: 'manual' as const, requestedBy: 't', sourceConnectionId: null, destinationConnectionId: null, settings: DEFAULT_SETTINGS, tasks: [] };
    await decideAndAppend(events, 'run-r2', runDecider, { type: 'QueueRun', data: plan }, at(new Date(), 'q'));
    const alive = { instanceId: 'sibling', hostname: hostname(), pid: process.pid };
    await reads.write([{ collection: INSTANCES, op: 'upsert', doc: { id: 'sibling', ...alive, seenAt: new Date().toISOString() } }]);
    const { position } = await decideAndAppend(events, 'run-r2', runDecider, { type: 'StartRun', data: { owner: alive } }, at(new Date(), 's'));
    await runner.waitFor(position);
    expect(await recoverAbandonedRuns(events, reads, self, at(new Date(), 'rec'))).toBe(0);
    expect((await loadState(events, 'run-r2', runDecider)).state.status).toBe('running');
  });

  /** A run with one task, claimed by `owner`, that recorded `worked`. */
  async function startedRun(runId: string, owner: { instanceId: string; hostname: string; pid: number }, worked: Parameters<typeof runDecider.decide>[0] & { type: 'Record' }) {
    await requestRun(runId, new Date());
    const task = { taskId: 't1', query: 'REPLICATE [A]', incrementalColumn: null, watermark: null };
    const plan = { runId, jobId: 'j', workspaceId: 'w', jobName: 'J', trigger: 'manual' as const, requestedBy: 't', sourceConnectionId: null, destinationConnectionId: null, settings: DEFAULT_SETTINGS, tasks: [task] };
    await decideAndAppend(events, `run-${runId}`, runDecider, { type: 'QueueRun', data: plan }, at(new Date(), 'q'));
    await decideAndAppend(events, `run-${runId}`, runDecider, { type: 'StartRun', data: { owner } }, at(new Date(), 's'));
    const { position } = await decideAndAppend(events, `run-${runId}`, runDecider, worked, at(new Date(), 'w'));
    await runner.waitFor(position);
  }

  it('leaves a task that was cancelled before the crash cancelled, not failed', async () => {
    const dead = { instanceId: 'other', hostname: hostname(), pid: 2 ** 22 + 12345 };
    const stopped = { runId: 'r4', taskId: 't1', reason: 'cancel requested', rowsRead: 40, rowsWritten: 40, watermark: null, durationMs: 5 };
    await startedRun('r4', dead, { type: 'Record', data: { events: [{ type: 'StepStarted', data: { runId: 'r4', taskId: 't1', source: 'A', destination: 'A' } }, { type: 'StepCancelled', data: stopped }] } });

    expect(await recoverAbandonedRuns(events, reads, self, at(new Date(), 'rec'))).toBe(1);
    expect((await events.readStream('run-r4')).filter((e) => e.type === 'StepFailed')).toEqual([]);
  });

  it('ends a run of its own that this process is no longer working on, and leaves those it is', async () => {
    await startedRun('r5', self, { type: 'Record', data: { events: [{ type: 'StepStarted', data: { runId: 'r5', taskId: 't1', source: 'A', destination: 'A' } }] } });

    expect(await recoverAbandonedRuns(events, reads, self, at(new Date(), 'rec'), (runId) => runId === 'r5')).toBe(0);
    expect(await recoverAbandonedRuns(events, reads, self, at(new Date(), 'rec'), () => false)).toBe(1);
    const run = await loadState(events, 'run-r5', runDecider);
    expect(run.state.status).toBe('failed');
    expect((await loadState(events, 'job-j', jobDecider)).state).toMatchObject({ activeRunId: null });
  });

  it('frees a job whose requested run was never queued, once it is a minute old', async () => {
    await requestRun('lost', new Date(Date.now() - 120_000));
    expect(await releaseJobsWithLostRuns(events, reads, at(new Date(), 'rel'))).toBe(1);
    expect((await loadState(events, 'job-j', jobDecider)).state).toMatchObject({ activeRunId: null });
  });

  /** r1 queued, started and finished on its own stream, but its job never told (a crash before EndRun). */
  async function finishedWithoutFreeing(when: Date) {
    await requestRun('r1', when);
    const plan = { runId: 'r1', jobId: 'j', workspaceId: 'w', jobName: 'J', trigger: 'manual' as const, requestedBy: 't', sourceConnectionId: null, destinationConnectionId: null, settings: DEFAULT_SETTINGS, tasks: [] };
    await decideAndAppend(events, 'run-r1', runDecider, { type: 'QueueRun', data: plan }, at(when, 'q'));
    await decideAndAppend(events, 'run-r1', runDecider, { type: 'StartRun', data: { owner: self } }, at(when, 's'));
    await decideAndAppend(events, 'run-r1', runDecider, { type: 'FinishRun', data: { status: 'succeeded', durationMs: 1 } }, at(when, 'f'));
  }

  it('frees a job whose run finished without freeing it, so the run waiting behind it gets its turn', async () => {
    await finishedWithoutFreeing(new Date(Date.now() - 120_000));
    const { position } = await decideAndAppend(events, 'job-j', jobDecider, { type: 'RequestRun', data: { runId: 'r2', trigger: 'manual', withFile: true } }, at(new Date(), 'req-r2'));
    await runner.waitFor(position);
    expect((await loadState(events, 'job-j', jobDecider)).state).toMatchObject({ activeRunId: 'r1', waitingRunIds: ['r2'] });
    expect(await releaseJobsWithLostRuns(events, reads, at(new Date(), 'rel'))).toBe(1);
    expect((await loadState(events, 'job-j', jobDecider)).state).toMatchObject({ activeRunId: 'r2', waitingRunIds: [] });
  });

  it("queues a file's run once when it arrives as the active run has finished but not yet freed its job", async () => {
    await finishedWithoutFreeing(new Date());
    const executed = await new ExecuteJobHandler(events).execute(new ExecuteJob('j', undefined, at(new Date(), 'upload'), 'manual', undefined, 'uploads/f.csv'));
    expect(executed.created).toBe(true);
    expect((await loadState(events, 'job-j', jobDecider)).state).toMatchObject({ activeRunId: executed.runId, waitingRunIds: [] });
    const requested = (await events.readStream('job-j')).filter((e) => e.type === 'RunRequested').map((e) => (e.data as { runId: string }).runId);
    expect(requested).toEqual(['r1', executed.runId]);
  });

  it('takes a cancelled waiting run off its job when asked to cancel it again (its first EndRun was lost)', async () => {
    await requestRun('r1', new Date());
    await decideAndAppend(events, 'job-j', jobDecider, { type: 'RequestRun', data: { runId: 'r2', trigger: 'manual', withFile: true } }, at(new Date(), 'req-r2'));
    const plan = { runId: 'r2', jobId: 'j', workspaceId: 'w', jobName: 'J', trigger: 'manual' as const, requestedBy: 't', sourceConnectionId: null, destinationConnectionId: null, settings: DEFAULT_SETTINGS, tasks: [] };
    await decideAndAppend(events, 'run-r2', runDecider, { type: 'QueueRun', data: plan }, at(new Date(), 'q2'));
    await decideAndAppend(events, 'run-r2', runDecider, { type: 'CancelRun', data: {} }, at(new Date(), 'c2'));
    expect((await loadState(events, 'job-j', jobDecider)).state).toMatchObject({ activeRunId: 'r1', waitingRunIds: ['r2'] });
    await expect(cancelRun(events, 'r2', at(new Date(), 'again'))).resolves.toMatchObject({ status: 'cancelled' });
    expect((await loadState(events, 'job-j', jobDecider)).state).toMatchObject({ activeRunId: 'r1', waitingRunIds: [] });
  });

  it('waits for a freshly requested run to be queued', async () => {
    await requestRun('fresh', new Date());
    expect(await releaseJobsWithLostRuns(events, reads, at(new Date(), 'rel'))).toBe(0);
  });
});
