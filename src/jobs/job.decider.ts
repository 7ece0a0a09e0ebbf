import type { Decider } from '../core/decider.js';
import { DomainError } from '../core/errors.js';
import type { DomainEvent } from '../core/events.js';
import { parseTaskQuery, TaskQueryError } from './task-query.js';
import { validateSchedule } from './cron.js';
import { checkSourceQuery } from './source-query.js';
import { applyChanges, definedOnly, diff } from './job.changes.js';
import { LIMITS } from '../core/limits.js';
import { hasTask, withTaskAdded } from './task-index.js';
import {
  DEFAULT_SCHEDULE,
  DEFAULT_SETTINGS,
  type FinalRunStatus,
  JOB_TYPES,
  type JobChanges,
  type JobDefinition,
  type JobSettings,
  runsOnFile,
  type RunTrigger,
  type Task,
} from './job.model.js';

export type { JobChanges, JobDefinition };

export type JobCommand =
  | { type: 'CreateJob'; data: { jobId: string; workspaceId: string; tasks: Task[] } & JobChanges & Pick<JobDefinition, 'name' | 'type'> }
  | { type: 'UpdateJob'; data: { changes: JobChanges } }
  /**
   * The whole job as a file declares it (created, re-created after a delete, or changed to match; nothing when
   * it already does). Allowed while a run is active: a run's plan is fixed when it is queued.
   */
  | { type: 'DeclareJob'; data: { jobId: string; workspaceId: string; definition: JobDefinition; tasks: Task[] } }
  /** Switches a job on or off, also while it runs: a disabled job keeps its history and never runs again until enabled. */
  | { type: 'SetJobEnabled'; data: { enabled: boolean } }
  | { type: 'DeleteJob'; data: Record<string, never> }
  | { type: 'AddTask'; data: { task: Task; index?: number } }
  | { type: 'UpdateTask'; data: { taskId: string; index?: number } & TaskChanges }
  | { type: 'DeleteTask'; data: { taskId: string } }
  | { type: 'MoveTask'; data: { taskId: string; fromIndex?: number; toIndex: number } }
  /**
   * Asks for a run; while one is active, nothing happens (the caller answers the active run). `withFile`: an
   * uploaded file comes with the request, which an Import or Delete cannot run without.
   */
  | { type: 'RequestRun'; data: { runId: string; trigger: RunTrigger; taskIds?: string[]; slot?: string; withFile?: boolean } }
  | { type: 'EndRun'; data: { runId: string; status: FinalRunStatus; watermarks: Record<string, unknown> } };

export type JobEvent =
  | DomainEvent<'JobCreated', { jobId: string; workspaceId: string } & JobDefinition>
  | DomainEvent<'JobUpdated', { jobId: string; changes: JobChanges }>
  | DomainEvent<'JobDeleted', { jobId: string; workspaceId: string }>
  | DomainEvent<'TaskAdded', { jobId: string; taskId: string; query: string; isActive: boolean; incrementalColumn?: string | null; destinationConnectionId?: string | null; keyColumns?: string[] | null; sourceQuery?: string | null; index: number }>
  | DomainEvent<'TaskUpdated', { jobId: string; taskId: string } & TaskChanges>
  | DomainEvent<'TaskMoved', { jobId: string; taskId: string; fromIndex: number; toIndex: number }>
  | DomainEvent<'TaskDeleted', { jobId: string; taskId: string; index: number }>
  /** The job's gate for one active run; a scheduled one carries its cron slot, so a slot fires once. */
  /** `waiting`: requested while another run is active, it starts once the runs before it have ended (an uploaded file's launch). */
  | DomainEvent<'RunRequested', { jobId: string; runId: string; trigger: RunTrigger; taskIds: string[]; slot?: string; waiting?: true }>
  /** A slot that could not fire: another run was active, or the job lacks what a run needs (`missing`). */
  | DomainEvent<'ScheduledRunSkipped', { jobId: string; slot: string; activeRunId?: string; missing?: string }>
  | DomainEvent<'RunEnded', { jobId: string; runId: string; status: FinalRunStatus; watermarks: Record<string, unknown> }>
  /**
   * The workspace released names or connections this job had claimed for a change that never landed here;
   * appended at the revision that change was decided on, so it cannot land any more (see workspace.decider.ts).
   */
  | DomainEvent<'JobClaimsReleased', { jobId: string }>;

/** What a change to a task may set (undefined: left as is). */
export type TaskChanges = Partial<Pick<Task, 'query' | 'isActive' | 'incrementalColumn' | 'destinationConnectionId' | 'keyColumns' | 'sourceQuery'>>;

export interface RunTracking {
  activeRunId: string | null;
  /** Tasks (`*`: all) started over while the active run ran: its end brings no watermark back for them. */
  staleWatermarks?: string[];
  /** Runs requested with a file while another was active, in order: each becomes active when the one before it ends. */
  waitingRunIds?: string[];
  /** The latest cron slot decided (fired or skipped). */
  lastSlot: string | null;
  /** Highest loaded value of each incremental task, by task id. */
  watermarks: Record<string, unknown>;
}

export type JobState =
  | { status: 'none' }
  | ({ status: 'active' | 'deleted'; jobId: string; workspaceId: string; tasks: Task[] } & JobDefinition & RunTracking);

export const jobDecider: Decider<JobState, JobCommand, JobEvent> = {
  initialState: { status: 'none' },
  decide,
  evolve,
  // Every run adds events to its job's stream, so a job on a cron keeps growing: load it from snapshots.
  snapshot: { every: 100, version: 3 },
};

/** Marks tasks started over while a run is active, so its end does not bring their old watermarks back. */
const startedOver = (state: RunTracking, taskIds: string[]): Partial<RunTracking> =>
  state.activeRunId ? { staleWatermarks: [...new Set([...(state.staleWatermarks ?? []), ...taskIds])] } : {};

/** What a task's watermark depends on: when one changes, the task loads in full again. */
const WATERMARK_KEYS = ['query', 'sourceQuery', 'incrementalColumn', 'destinationConnectionId'] as const;

/** How many uploaded files' runs may wait behind a job's active run. */
export const MAX_WAITING_RUNS = 20;

const TASK_COMMANDS = new Set<JobCommand['type']>(['AddTask', 'UpdateTask', 'DeleteTask', 'MoveTask']);

/**
 * Jobs whose one task follows from what their own API declares (a data sync's table and keys, applied all or
 * nothing in one transaction; an ingestion's query and target), and where to change it.
 */
const DECLARED_TASKS = {
  Import: 'its table and key columns (change them through /v1/data-syncs)',
  Export: 'its table (change it through /v1/data-syncs)',
  Delete: 'its table and key columns (change them through /v1/data-syncs)',
  Ingestion: 'its query and target (change them with PUT /_siren/connector/ingestion/<id>)',
} as const;

function decide(command: JobCommand, state: JobState): JobEvent[] {
  if (command.type === 'CreateJob') {
    if (state.status !== 'none') throw new DomainError('JOB.EXISTS', `Job ${command.data.jobId} already exists`);
    const { jobId, workspaceId, tasks, ...changes } = command.data;
    return created(jobId, workspaceId, changes, tasks);
  }
  if (command.type === 'DeclareJob') {
    const { jobId, workspaceId, definition, tasks } = command.data;
    if (state.status !== 'active') return created(jobId, workspaceId, definition, tasks);
    validate(definition, state);
    tasks.forEach(validateTask);
    const changes = diff(state, definition);
    return [...(Object.keys(changes).length ? [{ type: 'JobUpdated' as const, data: { jobId, changes } }] : []), ...declaredTasks(jobId, state.tasks, tasks)];
  }
  if (state.status !== 'active') throw new DomainError('JOB.NOT_FOUND', 'Job not found');
  const { jobId } = state;
  if (TASK_COMMANDS.has(command.type) && state.type in DECLARED_TASKS) {
    throw new DomainError('JOB.TASKS_DECLARED', `A job of type ${state.type} has one task, ${DECLARED_TASKS[state.type as keyof typeof DECLARED_TASKS]}: its tasks cannot be changed one by one`);
  }
  switch (command.type) {
    case 'UpdateJob': {
      notRunning(state, 'updated');
      const next = applyChanges(state, command.data.changes);
      validate(next, state);
      const changes = diff(state, next);
      return Object.keys(changes).length ? [{ type: 'JobUpdated', data: { jobId, changes } }] : [];
    }
    case 'SetJobEnabled':
      return command.data.enabled === state.enabled ? [] : [{ type: 'JobUpdated', data: { jobId, changes: { enabled: command.data.enabled } } }];
    case 'DeleteJob':
      notRunning(state, 'deleted');
      return [{ type: 'JobDeleted', data: { jobId, workspaceId: state.workspaceId } }];
    case 'AddTask': {
      const { task, index = state.tasks.length } = command.data;
      validateTask(task);
      if (hasTask(state.tasks, task.id)) throw new DomainError('VALIDATION', `Task ${task.id} already exists`);
      checkIndex(index, state.tasks.length, 'index');
      return [taskAdded(jobId, task, index)];
    }
    case 'UpdateTask': {
      const { taskId, index, ...changes } = command.data;
      const from = taskIndex(state, taskId);
      const current = state.tasks[from];
      if (changes.query !== undefined || changes.isActive !== undefined) validateTask({ ...current, ...definedOnly(changes) });
      const events: JobEvent[] = [];
      const changed = taskChanges(current, changes);
      if (Object.keys(changed).length) events.push({ type: 'TaskUpdated', data: { jobId, taskId, ...changed } });
      if (index !== undefined && index !== from) {
        checkIndex(index, state.tasks.length - 1, 'index');
        events.push({ type: 'TaskMoved', data: { jobId, taskId, fromIndex: from, toIndex: index } });
      }
      return events;
    }
    case 'DeleteTask': {
      notRunning(state, 'changed by deleting a task');
      const index = taskIndex(state, command.data.taskId);
      return [{ type: 'TaskDeleted', data: { jobId, taskId: command.data.taskId, index } }];
    }
    case 'MoveTask': {
      const { taskId, fromIndex, toIndex } = command.data;
      const from = taskIndex(state, taskId);
      if (fromIndex !== undefined && fromIndex !== from) {
        throw new DomainError('TASK.FROM_INDEX_MISMATCH', `from_index ${fromIndex} does not match task ${taskId}, which is at index ${from}`, 'from_index');
      }
      checkIndex(toIndex, state.tasks.length - 1, 'to_index');
      return toIndex === from ? [] : [{ type: 'TaskMoved', data: { jobId, taskId, fromIndex: from, toIndex } }];
    }
    case 'RequestRun': {
      const { runId, trigger, taskIds, slot, withFile } = command.data;
      // Imports and deletes run on the file they were sent with: a slot passes without an event (so a schedule
      // stored before this rule never fills the stream), a request from any API is refused.
      if (runsOnFile(state.type) && !withFile) {
        if (slot !== undefined) return [];
        throw new DomainError('JOB.NEEDS_FILE', `Job ${jobId} is a data sync ${state.type.toLowerCase()}: it runs only on an uploaded file; upload one to /api/data-sync/${state.type.toLowerCase()}/${jobId}`, 'file');
      }
      if (slot !== undefined) {
        if (state.lastSlot !== null && slot <= state.lastSlot) return [];
        if (state.activeRunId) return [{ type: 'ScheduledRunSkipped', data: { jobId, slot, activeRunId: state.activeRunId } }];
      }
      // A request for a run already taken (retried after the job was freed) changes nothing.
      if (state.activeRunId === runId || (state.waitingRunIds ?? []).includes(runId)) return [];
      // A launch on an uploaded file waits its turn rather than being lost; any other request answers the active run.
      const waiting = Boolean(state.activeRunId && withFile);
      if (state.activeRunId && !waiting) return [];
      if (waiting && (state.waitingRunIds ?? []).length >= MAX_WAITING_RUNS) {
        throw new DomainError('JOB.QUEUE_FULL', `Job ${jobId} has a run active and ${MAX_WAITING_RUNS} waiting; send the file again once one has ended`);
      }
      if (!state.enabled) {
        if (slot !== undefined) return [];
        throw new DomainError('JOB.DISABLED', `Job ${jobId} is disabled and cannot run; enable it first`);
      }
      for (const id of taskIds ?? []) taskIndex(state, id);
      const selected = taskIds?.length ? state.tasks.filter((t) => taskIds.includes(t.id)) : state.tasks.filter((t) => t.isActive);
      const missing = whatARunLacks(state, selected);
      if (missing && slot !== undefined) return [{ type: 'ScheduledRunSkipped', data: { jobId, slot, missing: missing.message } }];
      if (missing) throw missing;
      return [{ type: 'RunRequested', data: { jobId, runId, trigger, taskIds: selected.map((t) => t.id), ...(slot !== undefined ? { slot } : {}), ...(waiting ? { waiting: true as const } : {}) } }];
    }
    case 'EndRun': {
      const { runId, status, watermarks } = command.data;
      // A waiting run that ends (cancelled before its turn) leaves the queue.
      const known = state.activeRunId === runId || (state.waitingRunIds ?? []).includes(runId);
      return known ? [{ type: 'RunEnded', data: { jobId, runId, status, watermarks } }] : [];
    }
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}

function evolve(state: JobState, event: JobEvent): JobState {
  if (event.type === 'JobCreated') {
    const { jobId, workspaceId, ...definition } = event.data;
    return { status: 'active', jobId, workspaceId, tasks: [], ...definition, activeRunId: null, lastSlot: null, watermarks: {} };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'JobUpdated': {
      const { changes } = event.data;
      // Another source or destination (or incremental column) has none of the rows a watermark counted.
      const elsewhere = changes.sourceConnectionId !== undefined || changes.destinationConnectionId !== undefined || changes.settings?.incremental_column !== undefined;
      return { ...state, ...applyChanges(state, changes), ...(elsewhere ? { watermarks: {}, ...startedOver(state, ['*']) } : {}) };
    }
    case 'JobDeleted':
      return { ...state, status: 'deleted' };
    case 'TaskAdded': {
      const { taskId, query, isActive, incrementalColumn, destinationConnectionId, keyColumns, sourceQuery, index } = event.data;
      const task = { id: taskId, query, isActive, incrementalColumn: incrementalColumn ?? null, destinationConnectionId: destinationConnectionId ?? null, keyColumns: keyColumns ?? null };
      return { ...state, tasks: withTaskAdded(state.tasks, sourceQuery ? { ...task, sourceQuery } : task, index) };
    }
    case 'TaskUpdated': {
      const { taskId, jobId: _job, ...changed } = event.data;
      const tasks = state.tasks.map((t) => (t.id === taskId ? { ...t, ...changed } : t));
      // A task that reads or writes something else starts over: its watermark counted other rows.
      if (!WATERMARK_KEYS.some((key) => key in changed)) return { ...state, tasks };
      const { [taskId]: _dropped, ...watermarks } = state.watermarks;
      return { ...state, tasks, watermarks, ...startedOver(state, [taskId]) };
    }
    case 'TaskMoved':
      return { ...state, tasks: moveItem(state.tasks, event.data.fromIndex, event.data.toIndex) };
    case 'TaskDeleted':
      return { ...state, tasks: state.tasks.filter((t) => t.id !== event.data.taskId) };
    case 'RunRequested':
      if (event.data.waiting) return { ...state, waitingRunIds: [...(state.waitingRunIds ?? []), event.data.runId] };
      return { ...state, activeRunId: event.data.runId, lastSlot: event.data.slot ?? state.lastSlot };
    case 'ScheduledRunSkipped':
      return { ...state, lastSlot: event.data.slot };
    case 'RunEnded': {
      const [next = null, ...rest] = state.waitingRunIds ?? [];
      if (event.data.runId !== state.activeRunId) return { ...state, waitingRunIds: (state.waitingRunIds ?? []).filter((id) => id !== event.data.runId) };
      // The run's watermarks count what it read as it was planned: none for a task started over while it ran.
      const { staleWatermarks: stale = [], ...rested } = state;
      const reached = Object.fromEntries(Object.entries(event.data.watermarks).filter(([taskId]) => !stale.includes('*') && !stale.includes(taskId)));
      // Jobs that never had a waiting run keep no queue, as before there was one.
      return { ...rested, activeRunId: next, ...(state.waitingRunIds ? { waitingRunIds: rest } : {}), watermarks: { ...state.watermarks, ...reached } };
    }
    case 'JobClaimsReleased':
      return state;
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

function created(jobId: string, workspaceId: string, changes: JobChanges & Pick<JobDefinition, 'name' | 'type'>, tasks: Task[]): JobEvent[] {
  const definition = applyChanges(
    { name: '', type: changes.type, enabled: true, sourceConnectionId: null, destinationConnectionId: null, schedule: DEFAULT_SCHEDULE, settings: DEFAULT_SETTINGS },
    changes,
  );
  validate(definition);
  tasks.forEach(validateTask);
  return [{ type: 'JobCreated', data: { jobId, workspaceId, ...definition } }, ...tasks.map((t, index) => taskAdded(jobId, t, index))];
}

function taskAdded(jobId: string, task: Task, index: number): JobEvent {
  const { id: taskId, query, isActive, incrementalColumn, destinationConnectionId, keyColumns, sourceQuery } = task;
  return {
    type: 'TaskAdded',
    data: { jobId, taskId, query, isActive, incrementalColumn: incrementalColumn ?? null, ...(destinationConnectionId ? { destinationConnectionId } : {}), ...(keyColumns ? { keyColumns } : {}), ...(sourceQuery ? { sourceQuery } : {}), index },
  };
}

/** The fields of `changes` that differ from the task (a missing optional field counts as null). */
function taskChanges(task: Task, changes: TaskChanges): TaskChanges {
  return Object.fromEntries(
    Object.entries(definedOnly(changes)).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify((task as unknown as Record<string, unknown>)[key] ?? null)),
  );
}


/** The task events that turn `current` into `declared`, matched by id: deletes first, then adds, changes and moves in order. */
function declaredTasks(jobId: string, current: Task[], declared: Task[]): JobEvent[] {
  const events: JobEvent[] = [];
  let tasks = current;
  for (const [index, task] of current.entries()) {
    if (declared.some((t) => t.id === task.id)) continue;
    events.push({ type: 'TaskDeleted', data: { jobId, taskId: task.id, index: index - (current.length - tasks.length) } });
    tasks = tasks.filter((t) => t.id !== task.id);
  }
  for (const [index, task] of declared.entries()) {
    const from = tasks.findIndex((t) => t.id === task.id);
    if (from < 0) {
      events.push(taskAdded(jobId, task, index));
      tasks = [...tasks.slice(0, index), task, ...tasks.slice(index)];
      continue;
    }
    const { id: _id, ...wanted } = task;
    const changed = taskChanges(tasks[from], { incrementalColumn: null, destinationConnectionId: null, keyColumns: null, sourceQuery: null, ...definedOnly(wanted) });
    if (Object.keys(changed).length) events.push({ type: 'TaskUpdated', data: { jobId, taskId: task.id, ...changed } });
    if (from !== index) {
      events.push({ type: 'TaskMoved', data: { jobId, taskId: task.id, fromIndex: from, toIndex: index } });
      tasks = moveItem(tasks, from, index);
    }
  }
  return events;
}

export function moveItem<T>(items: T[], from: number, to: number): T[] {
  const next = [...items];
  const [item] = next.splice(from, 1);
  next.splice(to, 0, item);
  return next;
}

/**
 * Checked here as well as at each dialect's edge: a null or a wrong type must never reach an event.
 * `before`: the job as it is, when it is changed (a schedule it already had is kept, not refused).
 */
function validate(job: JobDefinition, before?: JobDefinition): void {
  if (typeof job.name !== 'string' || !job.name.trim()) throw new DomainError('JOB.NAME_REQUIRED', 'name is required', 'name');
  if (job.name.length > LIMITS.nameLength) throw new DomainError('VALIDATION', `name must be at most ${LIMITS.nameLength} characters long`, 'name');
  if (typeof job.enabled !== 'boolean') throw new DomainError('VALIDATION', 'enabled must be true or false', 'enabled');
  if (!JOB_TYPES.includes(job.type)) throw new DomainError('VALIDATION', `type must be one of: ${JOB_TYPES.join(', ')}`, 'type');
  for (const key of ['sourceConnectionId', 'destinationConnectionId'] as const) {
    if (job[key] !== null && typeof job[key] !== 'string') throw new DomainError('VALIDATION', `${key} must be a string or null`, key);
  }
  validateSchedule(job.schedule);
  if (job.schedule.enabled && runsOnFile(job.type) && !(before?.schedule.enabled && runsOnFile(before.type))) {
    throw new DomainError('JOB.SCHEDULE_NOT_ALLOWED', `A job of type ${job.type} runs only on an uploaded file and cannot run on a schedule; only exports and replication jobs can`, 'schedule');
  }
  validateSettings(job.settings);
}

/** Each setting keeps the type of its default; those whose default is null may also be null. */
function validateSettings(settings: JobSettings): void {
  for (const [key, fallback] of Object.entries(DEFAULT_SETTINGS)) {
    const value = (settings as unknown as Record<string, unknown>)[key];
    if (fallback === null && value === null) continue;
    const ok = Array.isArray(fallback)
      ? Array.isArray(value) && value.every((v) => typeof v === 'string')
      : fallback === null
        ? value !== undefined
        : typeof value === typeof fallback;
    if (!ok) throw new DomainError('VALIDATION', `${key} must be ${Array.isArray(fallback) ? 'a list of strings' : `a ${typeof fallback}`}`, key);
  }
  const kept = settings.log_retention_runs;
  if (kept !== null && (!Number.isInteger(kept) || kept < 1)) throw new DomainError('VALIDATION', 'log_retention_runs must be a whole number of at least 1, or null', 'log_retention_runs');
}

function validateTask(task: Task): void {
  const destination = task.destinationConnectionId;
  if (destination !== undefined && destination !== null && typeof destination !== 'string') {
    throw new DomainError('VALIDATION', 'destination_connection_id must be a string or null', 'destination_connection_id');
  }
  if (typeof task.query !== 'string' || !task.query.trim()) throw new DomainError('VALIDATION', 'query must not be empty', 'query');
  if (task.query.length > LIMITS.queryLength) throw new DomainError('VALIDATION', `query must be at most ${LIMITS.queryLength} characters long`, 'query');
  if (typeof task.isActive !== 'boolean') throw new DomainError('VALIDATION', 'is_active must be true or false', 'is_active');
  try {
    parseTaskQuery(task.query);
  } catch (error) {
    if (error instanceof TaskQueryError) throw new DomainError('TASK.QUERY_INVALID', `query "${task.query}" is invalid: ${error.message}`, 'query');
    throw error;
  }
  if (task.sourceQuery !== undefined && task.sourceQuery !== null) {
    checkSourceQuery(task.sourceQuery);
    if (task.sourceQuery.length > LIMITS.queryLength) throw new DomainError('VALIDATION', `query must be at most ${LIMITS.queryLength} characters long`, 'query');
  }
}


/** A run reads a source and writes a destination, one task at a time: without one of them it can only fail. */
function whatARunLacks(job: JobDefinition & { jobId: string }, tasks: Task[]): DomainError | undefined {
  const lacks = (field: string, what: string) => new DomainError('JOB.NOT_RUNNABLE', `Job ${job.jobId} cannot run: ${what}`, field);
  // Imports and deletes read an uploaded file, exports write one: they lack the connection on that side. An
  // ingestion without a target datasource loads into Sluice's own SQLite file.
  if (!job.sourceConnectionId && !runsOnFile(job.type)) return lacks('source_connection_id', 'it has no source connection; set source_connection_id first');
  if (!job.destinationConnectionId && job.type !== 'Export' && job.type !== 'Ingestion' && tasks.some((t) => !t.destinationConnectionId)) {
    return lacks('destination_connection_id', 'it has no destination connection; set destination_connection_id first');
  }
  if (!tasks.length) return lacks('tasks', 'it has no active task; add a task or activate one first');
  return undefined;
}

function notRunning(state: { activeRunId: string | null; jobId: string }, what: string): void {
  if (state.activeRunId) {
    throw new DomainError('JOB.RUNNING', `Job ${state.jobId} is running (run ${state.activeRunId}) and cannot be ${what}; cancel it or wait for it to finish`);
  }
}

function taskIndex(state: { tasks: Task[] }, taskId: string): number {
  const index = state.tasks.findIndex((t) => t.id === taskId);
  if (index < 0) throw new DomainError('TASK.NOT_FOUND', `Task ${taskId} not found in this job`);
  return index;
}

function checkIndex(index: number, max: number, field: string): void {
  if (!Number.isInteger(index) || index < 0 || index > max) {
    throw new DomainError('TASK.INDEX_OUT_OF_RANGE', `${field} ${index} is out of range: it must be between 0 and ${max}`, field);
  }
}
