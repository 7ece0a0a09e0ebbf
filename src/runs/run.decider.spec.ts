import { given } from '../core/given.js';
import { DEFAULT_SETTINGS } from '../jobs/job.model.js';
import { type RunEvent, type RunPlan, runDecider } from './run.decider.js';

const plan: RunPlan = {
  runId: 'r1',
  jobId: 'j1',
  workspaceId: 'w',
  jobName: 'Nightly',
  trigger: 'manual',
  requestedBy: 'admin',
  sourceConnectionId: 's',
  destinationConnectionId: 'd',
  settings: DEFAULT_SETTINGS,
  tasks: [{ taskId: 't1', query: 'REPLICATE [A]', incrementalColumn: 'id', watermark: null }],
};
const owner = { instanceId: 'i1', hostname: 'h', pid: 1 };
const queued: RunEvent = { type: 'RunQueued', data: plan };
const started: RunEvent = { type: 'RunStarted', data: { runId: 'r1', owner } };
const cancelRequested: RunEvent = { type: 'RunCancelRequested', data: { runId: 'r1' } };

describe('run decider', () => {
  it('is claimed once: the first StartRun wins, a second is refused', () => {
    given(runDecider, [queued]).when({ type: 'StartRun', data: { owner } }).then([started]);
    given(runDecider, [queued, started]).when({ type: 'StartRun', data: { owner: { ...owner, instanceId: 'i2' } } }).thenThrows('RUN.ALREADY_CLAIMED');
  });

  it('cancels a queued run at once, and asks a running one to stop', () => {
    given(runDecider, [queued]).when({ type: 'CancelRun', data: {} }).then([
      { type: 'RunLogged', data: { runId: 'r1', jobId: queued.data.jobId, level: 'warn', message: 'Synchronization has been canceled!' } },
      { type: 'RunFinished', data: { runId: 'r1', status: 'cancelled', durationMs: 0 } },
    ]);
    given(runDecider, [queued, started]).when({ type: 'CancelRun', data: {} }).then([cancelRequested]);
    given(runDecider, [queued, started, cancelRequested]).when({ type: 'CancelRun', data: {} }).then([]);
  });

  it('ends cancelled once a cancel was asked for, even when what stopped it was a failure', () => {
    given(runDecider, [queued, started, cancelRequested])
      .when({ type: 'FinishRun', data: { status: 'failed', error: 'boom', durationMs: 5 } })
      .then([
        { type: 'RunLogged', data: { runId: 'r1', jobId: queued.data.jobId, level: 'warn', message: 'Synchronization has been canceled!' } },
        { type: 'RunFinished', data: { runId: 'r1', status: 'cancelled', error: 'boom', durationMs: 5 } },
      ]);
    given(runDecider, [queued, started]).when({ type: 'FinishRun', data: { status: 'failed', durationMs: 5 } }).then([{ type: 'RunFinished', data: { runId: 'r1', status: 'failed', durationMs: 5 } }]);
  });

  it('ends succeeded when the cancel came too late to stop anything: every step had completed', () => {
    const completed = (taskId: string): RunEvent => ({ type: 'StepCompleted', data: { runId: 'r1', taskId, rowsRead: 3, rowsWritten: 3, watermark: null, durationMs: 2 } });
    given(runDecider, [queued, started, cancelRequested, completed('t1')])
      .when({ type: 'FinishRun', data: { status: 'succeeded', durationMs: 5 } })
      .then([{ type: 'RunFinished', data: { runId: 'r1', status: 'succeeded', durationMs: 5 } }]);
    // The cancel asked for before the step completed counts the same: what happened is what ends the run.
    given(runDecider, [queued, started, completed('t1'), cancelRequested])
      .when({ type: 'FinishRun', data: { status: 'succeeded', durationMs: 5 } })
      .then([{ type: 'RunFinished', data: { runId: 'r1', status: 'succeeded', durationMs: 5 } }]);
  });

  it('still ends cancelled, with the warn line, when the work of a run asked to cancel did stop', () => {
    const canceledLine: RunEvent = { type: 'RunLogged', data: { runId: 'r1', jobId: 'j1', level: 'warn', message: 'Synchronization has been canceled!' } };
    const twoTasks: RunEvent = { type: 'RunQueued', data: { ...plan, tasks: [...plan.tasks, { taskId: 't2', query: 'REPLICATE [B]', incrementalColumn: null, watermark: null }] } };
    const completed: RunEvent = { type: 'StepCompleted', data: { runId: 'r1', taskId: 't1', rowsRead: 3, rowsWritten: 3, watermark: null, durationMs: 2 } };
    // A task never started (or stopped) is work that did not happen: a succeeded finish becomes cancelled.
    given(runDecider, [twoTasks, started, cancelRequested, completed])
      .when({ type: 'FinishRun', data: { status: 'succeeded', durationMs: 5 } })
      .then([canceledLine, { type: 'RunFinished', data: { runId: 'r1', status: 'cancelled', durationMs: 5 } }]);
    const stopped: RunEvent = { type: 'StepCancelled', data: { runId: 'r1', taskId: 't1', reason: 'cancel requested', rowsRead: 1, rowsWritten: 0, watermark: null, durationMs: 2 } };
    given(runDecider, [queued, started, cancelRequested, stopped])
      .when({ type: 'FinishRun', data: { status: 'succeeded', durationMs: 5 } })
      .then([canceledLine, { type: 'RunFinished', data: { runId: 'r1', status: 'cancelled', durationMs: 5 } }]);
    // A failure after a cancel stays cancelled even when the steps had completed.
    given(runDecider, [queued, started, cancelRequested, completed])
      .when({ type: 'FinishRun', data: { status: 'failed', error: 'boom', durationMs: 5 } })
      .then([canceledLine, { type: 'RunFinished', data: { runId: 'r1', status: 'cancelled', error: 'boom', durationMs: 5 } }]);
  });

  it('goes running → cancelling → cancelled', () => {
    const state = given(runDecider, [queued, started, cancelRequested])
      .when({ type: 'FinishRun', data: { status: 'cancelled', durationMs: 5 } })
      .state();
    expect(state.status).toBe('cancelled');
  });

  it('ends succeeded or failed once, and then refuses worker records and cancels', () => {
    const finished: RunEvent = { type: 'RunFinished', data: { runId: 'r1', status: 'failed', error: 'boom', durationMs: 3 } };
    given(runDecider, [queued, started]).when({ type: 'FinishRun', data: { status: 'failed', error: 'boom', durationMs: 3 } }).then([finished]);
    given(runDecider, [queued, started, finished]).when({ type: 'FinishRun', data: { status: 'succeeded', durationMs: 4 } }).then([]);
    given(runDecider, [queued, started, finished])
      .when({ type: 'Record', data: { events: [{ type: 'RunLogged', data: { runId: 'r1', jobId: 'j1', level: 'info', message: 'late' } }] } })
      .thenThrows('RUN.NOT_ACTIVE');
    given(runDecider, [queued, started, finished]).when({ type: 'CancelRun', data: {} }).thenThrows('RUN.NOT_ACTIVE', /failed/);
  });

  it('keeps the watermark of each completed step', () => {
    const state = given(runDecider, [queued, started])
      .when({
        type: 'Record',
        data: { events: [{ type: 'StepCompleted', data: { runId: 'r1', taskId: 't1', rowsRead: 3, rowsWritten: 3, watermark: 17, durationMs: 2 } }] },
      })
      .state();
    expect(state.status !== 'none' && state.watermarks).toEqual({ t1: 17 });
  });

  it('keeps the watermark a cancelled step reached: the rows it wrote are not read again', () => {
    const stopped: RunEvent = {
      type: 'StepCancelled',
      data: { runId: 'r1', taskId: 't1', reason: 'cancel requested', rowsRead: 50, rowsWritten: 50, watermark: 50, durationMs: 9 },
    };
    const state = given(runDecider, [queued, started, cancelRequested]).when({ type: 'Record', data: { events: [stopped] } }).state();
    expect(state.status !== 'none' && state.watermarks).toEqual({ t1: 50 });
  });

  it('refuses to record for a run that was never queued', () => {
    given(runDecider).when({ type: 'StartRun', data: { owner } }).thenThrows('RUN.NOT_FOUND');
  });
});
