import { maskEventData } from '../core/secrets.js';
import type { JobChanges, JobEvent, JobState } from '../jobs/job.decider.js';
import { DEFAULT_SCHEDULE, DEFAULT_SETTINGS } from '../jobs/job.model.js';
import type { AuditEntryDoc, FieldChange } from './audit.read-model.js';

/** The parts of a job a user defines: what its timeline compares, one dotted field at a time. */
const DEFINITION = ['name', 'type', 'enabled', 'sourceConnectionId', 'destinationConnectionId', 'schedule', 'settings'] as const;

type Described = Pick<AuditEntryDoc, 'changes' | 'task' | 'details'>;

/** What an event of a job's stream changed, read off the job's state before and after it. */
export function describeJobEvent(before: JobState, event: JobEvent, after: JobState): Described {
  switch (event.type) {
    case 'JobCreated':
      return { changes: changedFields(before, after) };
    case 'JobUpdated':
      return { changes: namedChanges(before, event.data.changes, after) };
    case 'TaskAdded':
      return { task: { id: event.data.taskId, query: event.data.query, index: event.data.index } };
    case 'TaskUpdated': {
      const task = taskAt(after, event.data.taskId);
      const was = taskAt(before, event.data.taskId);
      const fields = (t: typeof task) => ({
        query: t?.query,
        isActive: t?.isActive,
        incrementalColumn: t?.incrementalColumn ?? null,
        destinationConnectionId: t?.destinationConnectionId ?? null,
        keyColumns: t?.keyColumns ?? null,
        sourceQuery: t?.sourceQuery ?? null,
      });
      return { task, changes: diff(fields(was), fields(task)) };
    }
    case 'TaskMoved':
      return { task: taskAt(after, event.data.taskId), changes: { index: { from: event.data.fromIndex, to: event.data.toIndex } } };
    case 'TaskDeleted': {
      const task = taskAt(before, event.data.taskId);
      return { task: { id: event.data.taskId, query: task?.query ?? '', index: event.data.index } };
    }
    case 'ScheduledRunSkipped': {
      const { jobId: _, ...details } = event.data;
      return { details };
    }
    default:
      return {};
  }
}

function taskAt(state: JobState, taskId: string) {
  if (state.status === 'none') return undefined;
  const index = state.tasks.findIndex((t) => t.id === taskId);
  return index < 0 ? undefined : { ...state.tasks[index], index };
}

/** What a job is before it is created: a creation tells only what differs from the defaults, not all 30 settings. */
const UNCREATED = { enabled: true, schedule: DEFAULT_SCHEDULE, settings: DEFAULT_SETTINGS };

function changedFields(before: JobState, after: JobState): Record<string, FieldChange> {
  const definition = (state: JobState) => (state.status === 'none' ? UNCREATED : Object.fromEntries(DEFINITION.map((k) => [k, state[k]])));
  return diff(flatten(definition(before)), flatten(definition(after)));
}

/**
 * What an update changed, looking only at the fields (and settings) it names: a change sets nothing else (see
 * applyChanges), and a job has some 30 settings to compare otherwise.
 */
function namedChanges(before: JobState, changes: JobChanges, after: JobState): Record<string, FieldChange> {
  const named = (state: JobState) => {
    const fields: Record<string, unknown> = {};
    for (const k of DEFINITION) {
      const sub = changes[k];
      if (sub === undefined) continue;
      const value = state.status === 'none' ? undefined : (state[k] as unknown);
      if (sub && typeof sub === 'object' && value && typeof value === 'object') {
        for (const s of Object.keys(sub)) fields[`${k}.${s}`] = (value as Record<string, unknown>)[s];
      } else flattenInto(fields, k, value);
    }
    return fields;
  };
  return diff(named(before), named(after));
}

/** `{settings: {batch_size: 5}}` → `{'settings.batch_size': 5}`: one level, so a change names the setting. */
function flatten(fields: Record<string, unknown>): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) flattenInto(flat, k, v);
  return flat;
}

function flattenInto(flat: Record<string, unknown>, k: string, v: unknown): void {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [sub, value] of Object.entries(v)) flat[`${k}.${sub}`] = value;
  } else flat[k] = v;
}

function diff(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  const compare = (key: string) => {
    const from = before[key] ?? null;
    const to = after[key] ?? null;
    if (from === to || (typeof from === 'object' && typeof to === 'object' && JSON.stringify(from) === JSON.stringify(to))) return;
    changes[key] = maskEventData({ from, to }, key) as FieldChange;
  };
  for (const key of Object.keys(before)) compare(key);
  for (const key of Object.keys(after)) if (!Object.hasOwn(before, key)) compare(key);
  return changes;
}
