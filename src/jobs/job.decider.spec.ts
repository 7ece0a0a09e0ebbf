import { given } from '../core/given.js';
import { type JobEvent, jobDecider, MAX_WAITING_RUNS } from './job.decider.js';
import { DEFAULT_SCHEDULE, DEFAULT_SETTINGS } from './job.model.js';

const jobId = 'j1';
const created: JobEvent = {
  type: 'JobCreated',
  data: {
    jobId,
    workspaceId: 'w',
    name: 'Nightly',
    type: 'Standard',
    enabled: true,
    sourceConnectionId: 'src',
    destinationConnectionId: 'dst',
    schedule: DEFAULT_SCHEDULE,
    settings: DEFAULT_SETTINGS,
  },
};
const added = (taskId: string, index: number): JobEvent => ({
  type: 'TaskAdded',
  data: { jobId, taskId, query: `REPLICATE [${taskId}]`, isActive: true, incrementalColumn: null, index },
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

  it('refuses nulls, wrong types and overlong values that get past a dialect, instead of crashing or storing them', () => {
    const base = { jobId, workspaceId: 'w', type: 'Standard' as const, tasks: [] };
    const loose = (value: unknown) => value as never;
    given(jobDecider).when({ type: 'CreateJob', data: { ...base, name: loose(null) } }).thenThrows('JOB.NAME_REQUIRED');
    given(jobDecider).when({ type: 'CreateJob', data: { ...base, name: 'x'.repeat(201) } }).thenThrows('VALIDATION', /200/);
    given(jobDecider).when({ type: 'CreateJob', data: { ...base, name: 'x', schedule: { cron: loose(null) } } }).thenThrows('JOB.CRON_INVALID', /schedule.cron/);
    given(jobDecider).when({ type: 'CreateJob', data: { ...base, name: 'x', schedule: { enabled: loose(null) } } }).thenThrows('JOB.CRON_INVALID', /enabled/);
    given(jobDecider).when({ type: 'CreateJob', data: { ...base, name: 'x', tasks: [{ id: 't', query: loose(null), isActive: true }] } }).thenThrows('VALIDATION', /query/);
    given(jobDecider).when({ type: 'CreateJob', data: { ...base, name: 'x', tasks: [{ id: 't', query: `REPLICATE [A]${' '.repeat(10_000)}`, isActive: true }] } }).thenThrows('VALIDATION', /10000/);
    given(jobDecider, [created]).when({ type: 'UpdateJob', data: { changes: { type: loose(null) } } }).thenThrows('VALIDATION', /type/);
    given(jobDecider, [created]).when({ type: 'UpdateJob', data: { changes: { settings: { labels: loose(null) } } } }).thenThrows('VALIDATION', /labels/);
    given(jobDecider, [created]).when({ type: 'UpdateJob', data: { changes: { settings: { verbosity: loose(null) } } } }).thenThrows('VALIDATION', /verbosity/);
    given(jobDecider, [created]).when({ type: 'UpdateJob', data: { changes: { settings: { drop_table: loose('yes') } } } }).thenThrows('VALIDATION', /drop_table/);
    given(jobDecider, [created, added('a', 0)]).when({ type: 'UpdateTask', data: { taskId: 'a', isActive: loose(null) } }).thenThrows('VALIDATION', /is_active/);
    given(jobDecider, [created]).when({ type: 'UpdateJob', data: { changes: { settings: { email_to: null } } } }).then([]);
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
      .when({ type: 'AddTask', data: { task: { id: 'd', query: 'REPLICATE [d]', isActive: true }, index: 4 } })
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

  it('refuses a task whose id the job already has, however the job came by it', () => {
    given(jobDecider, threeTasks).when({ type: 'AddTask', data: { task: { id: 'b', query: 'REPLICATE [b2]', isActive: true } } }).thenThrows('VALIDATION', /Task b already exists/);
    given(jobDecider, [...threeTasks, added('d', 3)]).when({ type: 'AddTask', data: { task: { id: 'd', query: 'REPLICATE [d2]', isActive: true } } }).thenThrows('VALIDATION', /Task d already exists/);
    given(jobDecider, threeTasks).when({ type: 'AddTask', data: { task: { id: 'e', query: 'REPLICATE [e]', isActive: true } } }).then([added('e', 3)]);
  });

  it('rejects an empty task query', () => {
    given(jobDecider, [created]).when({ type: 'AddTask', data: { task: { id: 'x', query: ' ', isActive: true } } }).thenThrows('VALIDATION');
  });

  it('rejects a task query that is not REPLICATE …, pointing at the problem', () => {
    given(jobDecider, [created])
      .when({ type: 'AddTask', data: { task: { id: 'x', query: 'REPLICATE [A] SELECT * FORM [B]', isActive: true } } })
      .thenThrows('TASK.QUERY_INVALID', /Expected FROM at position 24/);
  });

  describe('runs', () => {
    const requested: JobEvent = { type: 'RunRequested', data: { jobId, runId: 'r1', trigger: 'manual', taskIds: ['a', 'b', 'c'] } };

    it('requests a run of the active tasks, or of the tasks asked for', () => {
      given(jobDecider, threeTasks).when({ type: 'RequestRun', data: { runId: 'r1', trigger: 'manual' } }).then([requested]);
      given(jobDecider, threeTasks)
        .when({ type: 'RequestRun', data: { runId: 'r1', trigger: 'manual', taskIds: ['c'] } })
        .then([{ type: 'RunRequested', data: { jobId, runId: 'r1', trigger: 'manual', taskIds: ['c'] } }]);
      given(jobDecider, threeTasks).when({ type: 'RequestRun', data: { runId: 'r1', trigger: 'manual', taskIds: ['zz'] } }).thenThrows('TASK.NOT_FOUND');
    });

    it('keeps one active run: asking again changes nothing', () => {
      given(jobDecider, [...threeTasks, requested]).when({ type: 'RequestRun', data: { runId: 'r2', trigger: 'manual' } }).then([]);
    });

    it('refuses to update or delete the job, or delete a task, while it runs', () => {
      const running = [...threeTasks, requested];
      given(jobDecider, running).when({ type: 'UpdateJob', data: { changes: { name: 'x' } } }).thenThrows('JOB.RUNNING', /is running/);
      given(jobDecider, running).when({ type: 'DeleteJob', data: {} }).thenThrows('JOB.RUNNING');
      given(jobDecider, running).when({ type: 'DeleteTask', data: { taskId: 'a' } }).thenThrows('JOB.RUNNING');
    });

    it('ends the run, remembering the watermarks, and accepts updates again', () => {
      const ended: JobEvent = { type: 'RunEnded', data: { jobId, runId: 'r1', status: 'succeeded', watermarks: { a: 42 } } };
      given(jobDecider, [...threeTasks, requested]).when({ type: 'EndRun', data: { runId: 'r1', status: 'succeeded', watermarks: { a: 42 } } }).then([ended]);
      const state = given(jobDecider, [...threeTasks, requested, ended]).when({ type: 'UpdateJob', data: { changes: { name: 'After' } } }).state();
      expect(state.status === 'active' && [state.activeRunId, state.watermarks, state.name]).toEqual([null, { a: 42 }, 'After']);
    });

    it('fires each cron slot once, and records a slot that came while a run was active', () => {
      const slot = '2026-01-01T02:00:00.000Z';
      const fired: JobEvent = { type: 'RunRequested', data: { jobId, runId: 's1', trigger: 'schedule', taskIds: ['a', 'b', 'c'], slot } };
      given(jobDecider, threeTasks).when({ type: 'RequestRun', data: { runId: 's1', trigger: 'schedule', slot } }).then([fired]);
      const ended: JobEvent = { type: 'RunEnded', data: { jobId, runId: 's1', status: 'succeeded', watermarks: {} } };
      given(jobDecider, [...threeTasks, fired, ended]).when({ type: 'RequestRun', data: { runId: 's2', trigger: 'schedule', slot } }).then([]);
      given(jobDecider, [...threeTasks, requested])
        .when({ type: 'RequestRun', data: { runId: 's1', trigger: 'schedule', slot } })
        .then([{ type: 'ScheduledRunSkipped', data: { jobId, slot, activeRunId: 'r1' } }]);
    });

    it('refuses a run the job cannot do, naming what it lacks', () => {
      const unset = (changes: object): JobEvent => ({ type: 'JobUpdated', data: { jobId, changes } });
      const run = { type: 'RequestRun' as const, data: { runId: 'r1', trigger: 'manual' as const } };
      given(jobDecider, [...threeTasks, unset({ sourceConnectionId: null })]).when(run).thenThrows('JOB.NOT_RUNNABLE', /source connection/);
      given(jobDecider, [...threeTasks, unset({ destinationConnectionId: null })]).when(run).thenThrows('JOB.NOT_RUNNABLE', /destination connection/);
      given(jobDecider, [created]).when(run).thenThrows('JOB.NOT_RUNNABLE', /no active task/);
      const inactive: JobEvent = { type: 'TaskUpdated', data: { jobId, taskId: 'a', isActive: false } };
      given(jobDecider, [created, added('a', 0), inactive]).when(run).thenThrows('JOB.NOT_RUNNABLE', /no active task/);
    });

    it('skips a cron slot the job cannot run, recording why, so the slot is not asked again', () => {
      const slot = '2026-01-01T02:00:00.000Z';
      const skipped: JobEvent = { type: 'ScheduledRunSkipped', data: { jobId, slot, missing: `Job ${jobId} cannot run: it has no active task; add a task or activate one first` } };
      given(jobDecider, [created]).when({ type: 'RequestRun', data: { runId: 's1', trigger: 'schedule', slot } }).then([skipped]);
      given(jobDecider, [created, skipped]).when({ type: 'RequestRun', data: { runId: 's2', trigger: 'schedule', slot } }).then([]);
    });
  });

  describe('data syncs that run on an uploaded file (Import, Delete)', () => {
    const onFile = (type: 'Import' | 'Delete' | 'Export'): JobEvent[] => [
      { ...created, data: { ...(created.data as Extract<JobEvent, { type: 'JobCreated' }>['data']), type, ...(type === 'Export' ? { destinationConnectionId: null } : { sourceConnectionId: null }) } },
      added('a', 0),
    ];
    const slot = '2026-01-01T02:00:00.000Z';

    it('refuses a run asked for without a file, through any API, and runs one that comes with its file', () => {
      for (const type of ['Import', 'Delete'] as const) {
        given(jobDecider, onFile(type)).when({ type: 'RequestRun', data: { runId: 'r1', trigger: 'manual' } }).thenThrows('JOB.NEEDS_FILE', /uploaded file/);
        given(jobDecider, onFile(type))
          .when({ type: 'RequestRun', data: { runId: 'r1', trigger: 'manual', withFile: true } })
          .then([{ type: 'RunRequested', data: { jobId, runId: 'r1', trigger: 'manual', taskIds: ['a'] } }]);
      }
      // Also while a launch is active: a request without a file could never have made one.
      const requested: JobEvent = { type: 'RunRequested', data: { jobId, runId: 'r0', trigger: 'manual', taskIds: ['a'] } };
      given(jobDecider, [...onFile('Import'), requested]).when({ type: 'RequestRun', data: { runId: 'r1', trigger: 'manual' } }).thenThrows('JOB.NEEDS_FILE');
      given(jobDecider, onFile('Export'))
        .when({ type: 'RequestRun', data: { runId: 'r1', trigger: 'manual' } })
        .then([{ type: 'RunRequested', data: { jobId, runId: 'r1', trigger: 'manual', taskIds: ['a'] } }]);
    });

    it('refuses to add, change, move or delete its task on its own: the data sync declares it, applied in one transaction', () => {
      for (const type of ['Import', 'Delete', 'Export'] as const) {
        given(jobDecider, onFile(type)).when({ type: 'AddTask', data: { task: { id: 'b', query: 'REPLICATE [orders]', isActive: true } } }).thenThrows('JOB.TASKS_DECLARED', /data-syncs/);
        given(jobDecider, onFile(type)).when({ type: 'UpdateTask', data: { taskId: 'a', query: 'REPLICATE [orders]' } }).thenThrows('JOB.TASKS_DECLARED');
        given(jobDecider, onFile(type)).when({ type: 'MoveTask', data: { taskId: 'a', toIndex: 0 } }).thenThrows('JOB.TASKS_DECLARED');
        given(jobDecider, onFile(type)).when({ type: 'DeleteTask', data: { taskId: 'a' } }).thenThrows('JOB.TASKS_DECLARED');
      }
      // Other jobs take them as before.
      given(jobDecider, [created, added('a', 0)])
        .when({ type: 'AddTask', data: { task: { id: 'b', query: 'REPLICATE [b]', isActive: true } } })
        .then([{ type: 'TaskAdded', data: { jobId, taskId: 'b', query: 'REPLICATE [b]', isActive: true, incrementalColumn: null, index: 1 } }]);
    });

    it("queues an uploaded file's run behind the active one, each becoming active in turn as the one before ends", () => {
      const requested = (runId: string, waiting?: true): JobEvent => ({ type: 'RunRequested', data: { jobId, runId, trigger: 'manual', taskIds: ['a'], ...(waiting ? { waiting } : {}) } });
      const ended = (runId: string): JobEvent => ({ type: 'RunEnded', data: { jobId, runId, status: 'succeeded', watermarks: {} } });
      const withFile = (runId: string) => ({ type: 'RequestRun' as const, data: { runId, trigger: 'manual' as const, withFile: true } });
      given(jobDecider, [...onFile('Import'), requested('r1')]).when(withFile('r2')).then([requested('r2', true)]);
      const queued = given(jobDecider, [...onFile('Import'), requested('r1'), requested('r2', true), requested('r3', true)]);
      expect(queued.when({ type: 'EndRun', data: { runId: 'r1', status: 'succeeded', watermarks: {} } }).state()).toMatchObject({ activeRunId: 'r2', waitingRunIds: ['r3'] });
      // A waiting run cancelled before its turn leaves the queue; the active one stays.
      given(jobDecider, [...onFile('Import'), requested('r1'), requested('r2', true), requested('r3', true)])
        .when({ type: 'EndRun', data: { runId: 'r2', status: 'cancelled', watermarks: {} } })
        .then([{ type: 'RunEnded', data: { jobId, runId: 'r2', status: 'cancelled', watermarks: {} } }]);
      expect(given(jobDecider, [...onFile('Import'), requested('r1'), requested('r2', true), ended('r2')]).when(withFile('r4')).state()).toMatchObject({ activeRunId: 'r1', waitingRunIds: ['r4'] });
      // A request for a run already taken (retried once the job was freed) changes nothing.
      given(jobDecider, [...onFile('Import'), requested('r1'), requested('r2', true)]).when(withFile('r2')).then([]);
      given(jobDecider, [...onFile('Import'), requested('r1'), requested('r2', true), ended('r1')]).when(withFile('r2')).then([]);
      // Any other request still answers the active run; a full queue refuses the file.
      given(jobDecider, [...onFile('Export'), requested('r1')]).when({ type: 'RequestRun', data: { runId: 'r2', trigger: 'manual' } }).then([]);
      const full = Array.from({ length: MAX_WAITING_RUNS }, (_, i) => requested(`w${i}`, true));
      given(jobDecider, [...onFile('Import'), requested('r1'), ...full]).when(withFile('r9')).thenThrows('JOB.QUEUE_FULL', /20 waiting/);
    });

    it('lets a cron slot pass without an event on an import or delete with a schedule stored before the rule', () => {
      const legacy: JobEvent = { type: 'JobUpdated', data: { jobId, changes: { schedule: { enabled: true, cron: '* * * * *' } } } };
      given(jobDecider, [...onFile('Import'), legacy]).when({ type: 'RequestRun', data: { runId: 's1', trigger: 'schedule', slot } }).then([]);
      given(jobDecider, [...onFile('Delete'), legacy]).when({ type: 'RequestRun', data: { runId: 's1', trigger: 'schedule', slot } }).then([]);
      given(jobDecider, [...onFile('Export'), legacy])
        .when({ type: 'RequestRun', data: { runId: 's1', trigger: 'schedule', slot } })
        .then([{ type: 'RunRequested', data: { jobId, runId: 's1', trigger: 'schedule', taskIds: ['a'], slot } }]);
    });

    it('refuses to turn a schedule on for an import or delete, and keeps one it already had', () => {
      const on = { enabled: true, cron: '0 2 * * *' };
      for (const type of ['Import', 'Delete'] as const) {
        given(jobDecider).when({ type: 'CreateJob', data: { jobId, workspaceId: 'w', name: 'x', type, schedule: on, tasks: [] } }).thenThrows('JOB.SCHEDULE_NOT_ALLOWED', /schedule/);
        given(jobDecider, onFile(type)).when({ type: 'UpdateJob', data: { changes: { schedule: on } } }).thenThrows('JOB.SCHEDULE_NOT_ALLOWED');
      }
      // A job on a schedule cannot become one either.
      given(jobDecider, [created, { type: 'JobUpdated', data: { jobId, changes: { schedule: on } } }])
        .when({ type: 'UpdateJob', data: { changes: { type: 'Import' } } })
        .thenThrows('JOB.SCHEDULE_NOT_ALLOWED');
      given(jobDecider, onFile('Export'))
        .when({ type: 'UpdateJob', data: { changes: { schedule: on } } })
        .then([{ type: 'JobUpdated', data: { jobId, changes: { schedule: on } } }]);
      // One stored before the rule does not block other changes, and can be turned off.
      const legacy: JobEvent[] = [...onFile('Import'), { type: 'JobUpdated', data: { jobId, changes: { schedule: on } } }];
      given(jobDecider, legacy).when({ type: 'UpdateJob', data: { changes: { name: 'Renamed' } } }).then([{ type: 'JobUpdated', data: { jobId, changes: { name: 'Renamed' } } }]);
      given(jobDecider, legacy)
        .when({ type: 'UpdateJob', data: { changes: { schedule: { enabled: false } } } })
        .then([{ type: 'JobUpdated', data: { jobId, changes: { schedule: { enabled: false } } } }]);
    });
  });

  it('starts a task over (drops its watermark) when what it reads or writes changes, and every task when the job\'s connections do', () => {
    const ran: JobEvent[] = [
      ...threeTasks,
      { type: 'RunRequested', data: { jobId, runId: 'r1', trigger: 'manual', taskIds: ['a', 'b', 'c'] } },
      { type: 'RunEnded', data: { jobId, runId: 'r1', status: 'succeeded', watermarks: { a: 10, b: 20, c: 30 } } },
    ];
    const after = (...events: JobEvent[]) => (given(jobDecider, [...ran, ...events]).when({ type: 'UpdateJob', data: { changes: {} } }).state() as { watermarks: object }).watermarks;
    expect(after()).toEqual({ a: 10, b: 20, c: 30 });
    expect(after({ type: 'TaskUpdated', data: { jobId, taskId: 'a', query: 'REPLICATE [other]' } })).toEqual({ b: 20, c: 30 });
    expect(after({ type: 'TaskUpdated', data: { jobId, taskId: 'b', isActive: false } })).toEqual({ a: 10, b: 20, c: 30 });
    expect(after({ type: 'TaskUpdated', data: { jobId, taskId: 'c', incrementalColumn: 'updated_at' } })).toEqual({ a: 10, b: 20 });
    expect(after({ type: 'JobUpdated', data: { jobId, changes: { destinationConnectionId: 'elsewhere' } } })).toEqual({});
    expect(after({ type: 'JobUpdated', data: { jobId, changes: { name: 'Renamed' } } })).toEqual({ a: 10, b: 20, c: 30 });
    // Changed while a run reads the old query: that run's end does not bring the old watermark back.
    const r2: JobEvent = { type: 'RunRequested', data: { jobId, runId: 'r2', trigger: 'manual', taskIds: ['a', 'b', 'c'] } };
    const r2Ended: JobEvent = { type: 'RunEnded', data: { jobId, runId: 'r2', status: 'succeeded', watermarks: { a: 15, b: 25, c: 35 } } };
    expect(after(r2, { type: 'TaskUpdated', data: { jobId, taskId: 'a', query: 'REPLICATE [other]' } }, r2Ended)).toEqual({ b: 25, c: 35 });
    expect(after(r2, { type: 'JobUpdated', data: { jobId, changes: { sourceConnectionId: 'elsewhere' } } }, r2Ended)).toEqual({});
    // and the run after it keeps what it reached
    const r3: JobEvent = { type: 'RunRequested', data: { jobId, runId: 'r3', trigger: 'manual', taskIds: ['a'] } };
    const r3Ended: JobEvent = { type: 'RunEnded', data: { jobId, runId: 'r3', status: 'succeeded', watermarks: { a: 3 } } };
    expect(after(r2, { type: 'TaskUpdated', data: { jobId, taskId: 'a', query: 'REPLICATE [other]' } }, r2Ended, r3, r3Ended)).toEqual({ a: 3, b: 25, c: 35 });
  });

  it('is unchanged by a released claim, which only moves the stream on', () => {
    const released: JobEvent = { type: 'JobClaimsReleased', data: { jobId } };
    const before = given(jobDecider, threeTasks).when({ type: 'UpdateJob', data: { changes: {} } }).state();
    expect(given(jobDecider, [...threeTasks, released]).when({ type: 'UpdateJob', data: { changes: {} } }).state()).toEqual(before);
    given(jobDecider, [released]).when({ type: 'DeleteJob', data: {} }).thenThrows('JOB.NOT_FOUND');
  });

  describe('declared jobs', () => {
    const { jobId: _j, workspaceId: _w, ...definition } = created.data as Extract<JobEvent, { type: 'JobCreated' }>['data'];
    const task = (id: string, destinationConnectionId: string | null = null) => ({ id, query: `REPLICATE [${id}]`, isActive: true, incrementalColumn: null, destinationConnectionId });
    const declare = (tasks: ReturnType<typeof task>[], changes: object = {}) => ({
      type: 'DeclareJob' as const,
      data: { jobId, workspaceId: 'w', definition: { ...definition, ...changes }, tasks },
    });

    it('creates a job it does not find, with tasks that write to their own destinations', () => {
      given(jobDecider)
        .when(declare([task('a', 'd1'), task('b', 'd2')]))
        .then([
          created,
          { type: 'TaskAdded', data: { jobId, taskId: 'a', query: 'REPLICATE [a]', isActive: true, incrementalColumn: null, destinationConnectionId: 'd1', index: 0 } },
          { type: 'TaskAdded', data: { jobId, taskId: 'b', query: 'REPLICATE [b]', isActive: true, incrementalColumn: null, destinationConnectionId: 'd2', index: 1 } },
        ]);
    });

    it('appends nothing when the job already is as declared, and only the differences otherwise', () => {
      given(jobDecider, threeTasks).when(declare([task('a'), task('b'), task('c')])).then([]);
      given(jobDecider, threeTasks)
        .when(declare([task('c'), { ...task('a'), query: 'REPLICATE [x]' }], { schedule: { enabled: true, cron: '*/5 * * * *', timezone: 'UTC' } }))
        .then([
          { type: 'JobUpdated', data: { jobId, changes: { schedule: { enabled: true, cron: '*/5 * * * *' } } } },
          { type: 'TaskDeleted', data: { jobId, taskId: 'b', index: 1 } },
          { type: 'TaskMoved', data: { jobId, taskId: 'c', fromIndex: 1, toIndex: 0 } },
          { type: 'TaskUpdated', data: { jobId, taskId: 'a', query: 'REPLICATE [x]' } },
        ]);
      const state = given(jobDecider, threeTasks).when(declare([task('c'), task('d', 'd9'), task('a')])).state();
      expect(state.status === 'active' && state.tasks.map((t) => [t.id, t.destinationConnectionId])).toEqual([['c', null], ['d', 'd9'], ['a', null]]);
    });

    it('is applied while a run is active, and re-creates a job deleted through an API', () => {
      const requested: JobEvent = { type: 'RunRequested', data: { jobId, runId: 'r1', trigger: 'manual', taskIds: ['a'] } };
      given(jobDecider, [...threeTasks, requested]).when(declare([task('a')])).then([
        { type: 'TaskDeleted', data: { jobId, taskId: 'b', index: 1 } },
        { type: 'TaskDeleted', data: { jobId, taskId: 'c', index: 1 } },
      ]);
      const deleted: JobEvent = { type: 'JobDeleted', data: { jobId, workspaceId: 'w' } };
      const state = given(jobDecider, [...threeTasks, deleted]).when(declare([task('a')])).state();
      expect(state.status === 'active' && state.tasks.map((t) => t.id)).toEqual(['a']);
    });

    it('never runs a disabled job: a request is refused and a cron slot passes without an event', () => {
      const disabled: JobEvent = { type: 'JobUpdated', data: { jobId, changes: { enabled: false } } };
      given(jobDecider, threeTasks).when({ type: 'SetJobEnabled', data: { enabled: false } }).then([disabled]);
      given(jobDecider, [...threeTasks, disabled]).when({ type: 'SetJobEnabled', data: { enabled: false } }).then([]);
      given(jobDecider, [...threeTasks, disabled]).when({ type: 'RequestRun', data: { runId: 'r1', trigger: 'manual' } }).thenThrows('JOB.DISABLED');
      given(jobDecider, [...threeTasks, disabled]).when({ type: 'RequestRun', data: { runId: 'r1', trigger: 'schedule', slot: '2026-01-01T00:00:00.000Z' } }).then([]);
    });
  });
});
