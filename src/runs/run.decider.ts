import type { Decider } from '../core/decider.js';
import { DomainError } from '../core/errors.js';
import type { DomainEvent } from '../core/events.js';
import type { FinalRunStatus, JobSettings, JobType, RunStatus, RunTrigger } from '../jobs/job.model.js';

/** What a run needs to do its work, fixed when it is queued: later job edits do not change a run. */
export interface RunPlan {
  runId: string;
  jobId: string;
  workspaceId: string;
  jobName: string;
  trigger: RunTrigger;
  requestedBy: string;
  slot?: string;
  sourceConnectionId: string | null;
  destinationConnectionId: string | null;
  settings: JobSettings;
  /** The job's type when the run was queued: a data sync's Import, Export or Delete runs on files; absent before types mattered. */
  type?: JobType;
  /** For Import and Delete: the uploaded CSV in the file store. */
  file?: string;
  /** `destinationConnectionId`: where the task writes (its own connection or the job's); absent in runs queued before tasks had one. */
  tasks: Array<{ taskId: string; query: string; incrementalColumn: string | null; watermark: unknown; destinationConnectionId?: string | null; keyColumns?: string[] | null; sourceQuery?: string | null }>;
}

/** The process that owns a running run; it is dead when its host says so or its heartbeat is stale. */
export interface RunOwner {
  instanceId: string;
  hostname: string;
  pid: number;
}

export interface StepMetrics {
  rowsProcessed: number;
  sinceLastCheck: number;
  latencyMs: { min: number; max: number; avg: number };
  lastId: unknown;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type RunEvent =
  | DomainEvent<'RunQueued', RunPlan>
  | DomainEvent<'RunStarted', { runId: string; owner: RunOwner }>
  | DomainEvent<'StepStarted', { runId: string; taskId: string; source: string; destination: string }>
  | DomainEvent<'StepProgress', { runId: string; taskId: string } & StepMetrics>
  | DomainEvent<'StepCompleted', { runId: string; taskId: string; rowsRead: number; rowsWritten: number; watermark: unknown; durationMs: number }>
  | DomainEvent<'StepFailed', { runId: string; taskId: string; error: string; rowsRead: number; rowsWritten: number; durationMs: number }>
  /** Stopped before its end by a cancel or a shutdown; its rows so far are kept, and so is the watermark they reached. */
  | DomainEvent<'StepCancelled', { runId: string; taskId: string; reason: string; rowsRead: number; rowsWritten: number; watermark: unknown; durationMs: number }>
  | DomainEvent<'RunLogged', { runId: string; jobId: string; level: LogLevel; message: string; taskId?: string }>
  | DomainEvent<'RunCancelRequested', { runId: string }>
  | DomainEvent<'RunFinished', { runId: string; status: FinalRunStatus; error?: string; durationMs: number }>;

/** Step events and log lines the owning worker records; the decider checks only that the run is live. */
type WorkerEvent = Extract<RunEvent, { type: 'StepStarted' | 'StepProgress' | 'StepCompleted' | 'StepFailed' | 'StepCancelled' | 'RunLogged' }>;

export type RunCommand =
  | { type: 'QueueRun'; data: RunPlan }
  | { type: 'StartRun'; data: { owner: RunOwner } }
  | { type: 'Record'; data: { events: WorkerEvent[] } }
  | { type: 'CancelRun'; data: Record<string, never> }
  | { type: 'FinishRun'; data: { status: FinalRunStatus; error?: string; durationMs: number } };

export type RunState =
  | { status: 'none' }
  | {
      status: RunStatus;
      runId: string;
      jobId: string;
      owner: RunOwner | null;
      plan: RunPlan;
      watermarks: Record<string, unknown>;
      /** The tasks whose step completed: their work is done, whatever is asked of the run afterwards. */
      completedTasks: string[];
    };

export const runStream = (runId: string) => `run-${runId}`;

const LIVE: RunStatus[] = ['running', 'cancelling'];

/** The warn line a cancelled run ends with (Jitsu's words, which scripts look for). */
export const CANCELED = 'Synchronization has been canceled!';

export const runDecider: Decider<RunState, RunCommand, RunEvent> = {
  initialState: { status: 'none' },
  decide(command, state) {
    if (command.type === 'QueueRun') {
      if (state.status !== 'none') throw new DomainError('RUN.ALREADY_CLAIMED', `Run ${command.data.runId} already exists`);
      return [{ type: 'RunQueued', data: command.data }];
    }
    if (state.status === 'none') throw new DomainError('RUN.NOT_FOUND', 'Run not found');
    const { runId } = state;
    switch (command.type) {
      case 'StartRun':
        if (state.status !== 'queued') throw new DomainError('RUN.ALREADY_CLAIMED', `Run ${runId} is ${state.status}, not queued`);
        return [{ type: 'RunStarted', data: { runId, owner: command.data.owner } }];
      case 'Record':
        if (!LIVE.includes(state.status)) throw new DomainError('RUN.NOT_ACTIVE', `Run ${runId} is ${state.status}`);
        return command.data.events;
      case 'CancelRun':
        if (state.status === 'queued') {
          return [
            { type: 'RunLogged', data: { runId, jobId: state.jobId, level: 'warn', message: CANCELED } },
            { type: 'RunFinished', data: { runId, status: 'cancelled', durationMs: 0 } },
          ];
        }
        if (state.status === 'running') return [{ type: 'RunCancelRequested', data: { runId } }];
        if (state.status === 'cancelling') return [];
        throw new DomainError('RUN.NOT_ACTIVE', `Run ${runId} has already ${state.status === 'cancelled' ? 'been cancelled' : state.status}`);
      case 'FinishRun':
        if (state.status !== 'queued' && !LIVE.includes(state.status)) return [];
        // Once a cancel was asked for, the run ends cancelled whatever stopped it (a failure, a crash, a shutdown),
        // with the line a cancelled run ends with when what stopped it did not write it. Unless nothing stopped it:
        // a cancel that came too late (an import's rows committed, an export's file written) cannot undo the work,
        // and a run whose every step completed ends as it did.
        const done = command.data.status === 'succeeded' && state.plan.tasks.every((t) => state.completedTasks.includes(t.taskId));
        if (state.status === 'cancelling' && command.data.status !== 'cancelled' && !done) {
          return [
            { type: 'RunLogged', data: { runId, jobId: state.jobId, level: 'warn', message: CANCELED } },
            { type: 'RunFinished', data: { runId, ...command.data, status: 'cancelled' } },
          ];
        }
        return [{ type: 'RunFinished', data: { runId, ...command.data } }];
      default: {
        const _exhaustive: never = command;
        return _exhaustive;
      }
    }
  },
  evolve(state, event) {
    if (event.type === 'RunQueued') {
      return { status: 'queued', runId: event.data.runId, jobId: event.data.jobId, owner: null, plan: event.data, watermarks: {}, completedTasks: [] };
    }
    if (state.status === 'none') return state;
    switch (event.type) {
      case 'RunStarted':
        return { ...state, status: 'running', owner: event.data.owner };
      case 'RunCancelRequested':
        return { ...state, status: 'cancelling' };
      case 'StepCompleted':
      case 'StepCancelled': {
        const completed = event.type === 'StepCompleted' ? { completedTasks: [...(state.completedTasks ?? []), event.data.taskId] } : {};
        return event.data.watermark === undefined || event.data.watermark === null
          ? { ...state, ...completed }
          : { ...state, ...completed, watermarks: { ...state.watermarks, [event.data.taskId]: event.data.watermark } };
      }
      case 'RunFinished':
        return { ...state, status: event.data.status };
      default:
        return state;
    }
  },
};
