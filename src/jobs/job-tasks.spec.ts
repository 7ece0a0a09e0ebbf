import { withTaskDocs } from './job-tasks.js';
import type { JobRecord, JobTaskDoc } from './jobs.read-model.js';

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
