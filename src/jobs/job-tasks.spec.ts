import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteReadStore } from '../infrastructure/sqlite/sqlite-read-store.js';
import { withTaskDocs, withTasks } from './job-tasks.js';
import { JOB_TASKS, JOBS, type JobRecord, type JobTaskDoc, jobTaskId } from './jobs.read-model.js';

describe('a job with its tasks', () => {
  const task = (id: string) => ({ id, query: `REPLICATE [${id}]`, isActive: true });

  it('puts the task documents in their order', () => {
    const docs: JobTaskDoc[] = [1, 0].map((index) => ({ id: `j/t${index}`, jobId: 'j', index, task: task(`t${index}`) }));
    expect(withTaskDocs({ id: 'j', taskCount: 2 } as JobRecord, docs).tasks.map((t) => t.id)).toEqual(['t0', 't1']);
  });

  it('keeps the tasks of a document from before tasks were documents of their own, while the model is rebuilt', () => {
    const old = { id: 'j', tasks: [task('a'), task('b')] } as unknown as JobRecord;
    expect(withTaskDocs(old, []).tasks.map((t) => t.id)).toEqual(['a', 'b']);
  });
});

describe('a page of jobs with their tasks', () => {
  let dir: string;
  let store: SqliteReadStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-job-tasks-'));
    store = new SqliteReadStore(join(dir, 'read.db'));
    await store.ensureCollection(JOBS, [{ fields: ['workspaceId', 'createdAt'] }]);
    await store.ensureCollection(JOB_TASKS, [{ fields: ['jobId', 'index'] }]);
    for (const n of [1, 2, 3]) {
      const job = { id: `job${n}`, workspaceId: 'w', name: `job ${n}`, createdAt: `2026-01-0${n}T00:00:00.000Z`, taskCount: 2 };
      await store.write([
        { collection: JOBS, op: 'upsert', doc: job as unknown as JobRecord },
        ...[1, 0].map((index) => ({ collection: JOB_TASKS, op: 'upsert' as const, doc: task(job.id, index) })),
      ]);
    }
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const task = (jobId: string, index: number): JobTaskDoc => ({ id: jobTaskId(jobId, `t${index}`), jobId, index, task: { id: `t${index}`, query: `REPLICATE [${jobId}_${index}]`, isActive: true } });
  const page = async () => {
    const { items } = await store.find<JobRecord>(JOBS, { filter: { workspaceId: 'w' }, sort: { field: 'createdAt', order: 1 } });
    return withTasks(store, items);
  };

  it('assembles a page the store kept once, and shares it frozen', async () => {
    const first = await page();
    expect(first.map((job) => job.tasks.map((t) => t.id))).toEqual([['t0', 't1'], ['t0', 't1'], ['t0', 't1']]);
    await page();
    const kept = await page();
    expect(await page()).toBe(kept);
    expect(Object.isFrozen(kept[0].tasks)).toBe(true);
  });

  it('assembles it again once a task is written', async () => {
    await page();
    const kept = await page();
    await store.write([{ collection: JOB_TASKS, op: 'upsert', doc: task('job2', 2) }]);
    const after = await page();
    expect(after).not.toBe(kept);
    expect(after[1].tasks.map((t) => t.id)).toEqual(['t0', 't1', 't2']);
    expect(after[0].tasks).toHaveLength(2);
  });
});
