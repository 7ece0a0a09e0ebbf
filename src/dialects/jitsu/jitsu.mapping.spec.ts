import type { RunDoc } from '../../runs/runs.read-model.js';
import { jitsuTime, parseTaskId, toJitsuTask } from './jitsu.mapping.js';

const run = (changes: Partial<RunDoc>) =>
  ({ id: '0b8e4a1c-3f0e-4a8e-9d0e-2f4a5b6c7d8e', jobId: 'j', status: 'queued', trigger: 'manual', queuedAt: '2021-03-10T22:13:32.433Z', startedAt: null, finishedAt: null, ...changes }) as RunDoc;

describe('Jitsu task mapping', () => {
  it("computes Jitsu's priority: 300 × 10^12 for an API task, 200 × 10^12 for a scheduled one, less the creation's unix seconds", () => {
    // The seed's task: created through the API at 2021-03-10T22:13:32Z.
    expect(toJitsuTask(run({}), 'src', 'col').priority).toBe(299998384585588);
    expect(toJitsuTask(run({ trigger: 'schedule' }), 'src', 'col').priority).toBe(199998384585588);
  });

  it('leaves out the times not set yet and writes the others in Jitsu\'s microsecond layout', () => {
    expect(toJitsuTask(run({}), 'src', 'col')).toEqual({
      id: 'src_col_0b8e4a1c-3f0e-4a8e-9d0e-2f4a5b6c7d8e',
      source: 'src',
      collection: 'col',
      priority: 299998384585588,
      created_at: '2021-03-10T22:13:32.433000Z',
      status: 'SCHEDULED',
    });
    const done = toJitsuTask(run({ status: 'succeeded', startedAt: '2021-03-10T22:13:32.567Z', finishedAt: '2021-03-10T22:13:34.116Z' }), 's', 'c');
    expect(done).toMatchObject({ started_at: '2021-03-10T22:13:32.567000Z', finished_at: '2021-03-10T22:13:34.116000Z', status: 'SUCCESS' });
    expect(toJitsuTask(run({ status: 'cancelling' }), 's', 'c').status).toBe('RUNNING');
    expect(jitsuTime('2021-03-10T22:13:32.000Z')).toBe('2021-03-10T22:13:32.000000Z');
  });

  it('splits a task id into its pair prefix and run id, whatever underscores the names hold', () => {
    expect(parseTaskId('my_src_my_col_0B8E4A1C-3F0E-4A8E-9D0E-2F4A5B6C7D8E')).toEqual({ prefix: 'my_src_my_col', runId: '0b8e4a1c-3f0e-4a8e-9d0e-2f4a5b6c7d8e' });
    expect(parseTaskId('src_col_not-a-uuid')).toBeUndefined();
  });
});
