import { given } from '../core/given.js';
import { type JobEvent, jobDecider } from './job.decider.js';
import { DEFAULT_SCHEDULE, DEFAULT_SETTINGS } from './job.model.js';

const jobId = 'j1';
const created: JobEvent = {
  type: 'JobCreated',
  data: {
    jobId,
    workspaceId: 'w',
    name: 'Nightly',
    type: 'Standard',
    sourceConnectionId: 'src',
    destinationConnectionId: 'dst',
    schedule: DEFAULT_SCHEDULE,
    settings: DEFAULT_SETTINGS,
  },
};
const added = (taskId: string, index: number): JobEvent => ({
  type: 'TaskAdded',
  data: { jobId, taskId, query: `REPLICATE [${taskId}]`, isActive: true, index },
});
const threeTasks = [created, added('a', 0), added('b', 1), added('c', 2)];

describe('job decider', () => {
  it('creates a job with defaults and turns its queries into ordered tasks', () => {
    given(jobDecider)
      .when({
        type: 'CreateJob',
        data: {
          jobId,
          workspaceId: 'w',
          name: 'Nightly',
          type: 'Standard',
          sourceConnectionId: 'src',
          destinationConnectionId: 'dst',
          tasks: [
            { id: 'a', query: 'REPLICATE [a]', isActive: true },
            { id: 'b', query: 'REPLICATE [b]', isActive: true },
          ],
        },
      })
      .then([created, added('a', 0), added('b', 1)]);
  });

  it('rejects a job without a name and an enabled schedule with a bad cron', () => {
    const base = { jobId, workspaceId: 'w', type: 'Standard' as const, tasks: [] };
    given(jobDecider).when({ type: 'CreateJob', data: { ...base, name: '  ' } }).thenThrows('JOB.NAME_REQUIRED');
    given(jobDecider)
      .when({ type: 'CreateJob', data: { ...base, name: 'x', schedule: { enabled: true, cron: '61 * * * *' } } })
      .thenThrows('JOB.CRON_INVALID', /61/);
    given(jobDecider)
      .when({ type: 'CreateJob', data: { ...base, name: 'x', schedule: { enabled: true, cron: '' } } })
      .thenThrows('JOB.CRON_INVALID', /required/);
    given(jobDecider)
      .when({ type: 'CreateJob', data: { ...base, name: 'x', schedule: { cron: '0 0 * * *', timezone: 'Mars/Base' } } })
      .thenThrows('JOB.CRON_INVALID', /time zone/);
  });

  it('accepts five-field, six-field and Quartz-style crons in a time zone', () => {
    for (const cron of ['*/5 * * * *', '0 30 2 * * *', '0 0 12 ? * MON-FRI']) {
      given(jobDecider, [created])
        .when({ type: 'UpdateJob', data: { changes: { schedule: { enabled: true, cron, timezone: 'Europe/Paris' } } } })
        .then([{ type: 'JobUpdated', data: { jobId, changes: { schedule: { enabled: true, cron, timezone: 'Europe/Paris' } } } }]);
    }
  });

  it('records only what an update changes, and nothing for a no-op', () => {
    given(jobDecider, [created])
      .when({ type: 'UpdateJob', data: { changes: { name: 'Nightly', settings: { batch_size: 500, drop_table: false } } } })
      .then([{ type: 'JobUpdated', data: { jobId, changes: { settings: { batch_size: 500 } } } }]);
    given(jobDecider, [created]).when({ type: 'UpdateJob', data: { changes: { name: 'Nightly' } } }).then([]);
  });

  it('refuses commands on a missing or deleted job', () => {
    given(jobDecider).when({ type: 'DeleteJob', data: {} }).thenThrows('JOB.NOT_FOUND');
    given(jobDecider, [created, { type: 'JobDeleted', data: { jobId, workspaceId: 'w' } }])
      .when({ type: 'UpdateJob', data: { changes: { name: 'x' } } })
      .thenThrows('JOB.NOT_FOUND');
  });

  it('moves a task and keeps a dense order', () => {
    const state = given(jobDecider, threeTasks).when({ type: 'MoveTask', data: { taskId: 'a', fromIndex: 0, toIndex: 2 } }).state();
    expect(state.status === 'active' && state.tasks.map((t) => t.id)).toEqual(['b', 'c', 'a']);
  });

  it('rejects a move out of range or from the wrong index', () => {
    given(jobDecider, threeTasks).when({ type: 'MoveTask', data: { taskId: 'a', toIndex: 3 } }).thenThrows('TASK.INDEX_OUT_OF_RANGE', /between 0 and 2/);
    given(jobDecider, threeTasks).when({ type: 'MoveTask', data: { taskId: 'a', toIndex: -1 } }).thenThrows('TASK.INDEX_OUT_OF_RANGE');
    given(jobDecider, threeTasks).when({ type: 'MoveTask', data: { taskId: 'b', fromIndex: 0, toIndex: 2 } }).thenThrows('TASK.FROM_INDEX_MISMATCH');
    given(jobDecider, threeTasks).when({ type: 'MoveTask', data: { taskId: 'zz', toIndex: 0 } }).thenThrows('TASK.NOT_FOUND');
  });

  it('adds a task at a position, updates it, and deletes it closing the gap', () => {
    const afterAdd = given(jobDecider, threeTasks)
      .when({ type: 'AddTask', data: { task: { id: 'd', query: 'REPLICATE [d]', isActive: false }, index: 1 } })
      .state();
    expect(afterAdd.status === 'active' && afterAdd.tasks.map((t) => t.id)).toEqual(['a', 'd', 'b', 'c']);
    given(jobDecider, threeTasks)
      .when({ type: 'AddTask', data: { task: { id: 'd', query: 'q', isActive: true }, index: 4 } })
      .thenThrows('TASK.INDEX_OUT_OF_RANGE');
    given(jobDecider, threeTasks)
      .when({ type: 'UpdateTask', data: { taskId: 'b', isActive: false, index: 0 } })
      .then([
        { type: 'TaskUpdated', data: { jobId, taskId: 'b', isActive: false } },
        { type: 'TaskMoved', data: { jobId, taskId: 'b', fromIndex: 1, toIndex: 0 } },
      ]);
    const afterDelete = given(jobDecider, threeTasks).when({ type: 'DeleteTask', data: { taskId: 'b' } }).state();
    expect(afterDelete.status === 'active' && afterDelete.tasks.map((t) => t.id)).toEqual(['a', 'c']);
  });

  it('rejects an empty task query', () => {
    given(jobDecider, [created]).when({ type: 'AddTask', data: { task: { id: 'x', query: ' ', isActive: true } } }).thenThrows('VALIDATION');
  });
});
