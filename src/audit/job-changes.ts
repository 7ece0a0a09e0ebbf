import { maskEventData } from '../core/secrets.js';
import type { JobEvent, JobState } from '../jobs/job.decider.js';
import { DEFAULT_SCHEDULE, DEFAULT_SETTINGS, type Task } from '../jobs/job.model.js';
import type { AuditEntryDoc, FieldChange } from './audit.read-model.js';

/** The parts of a job a user defines: what its timeline compares, one dotted field at a time. */
const DEFINITION = ['name', 'type', 'enabled', 'sourceConnectionId', 'destinationConnectionId', 'schedule', 'settings'] as const;

type Described = Pick<AuditEntryDoc, 'changes' | 'task' | 'details'>;

/**
 * What an event of a job's stream changed, read off the job's state before and after it. A task's index is its
 * place in `tasks`, unless it carries its own: states may hold only the task the event names.
 */
export function describeJobEvent(before: JobState, event: JobEvent, after: JobState): Described {
  switch (event.type) {
    case 'JobCreated':
    case 'JobUpdated':
      return { changes: changedFields(before, after) };
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
  if (index < 0) return undefined;
  const task: Task & { index?: number } = state.tasks[index];
  return { ...task, index: task.index ?? index };
}

/** What a job is before it is created: a creation tells only what differs from the defaults, not all 30 settings. */
const UNCREATED = { enabled: true, schedule: DEFAULT_SCHEDULE, settings: DEFAULT_SETTINGS };

function changedFields(before: JobState, after: JobState): Record<string, FieldChange> {
  const definition = (state: JobState) => (state.status === 'none' ? UNCREATED : Object.fromEntries(DEFINITION.map((k) => [k, state[k]])));
  return diff(flatten(definition(before)), flatten(definition(after)));
}

/** `{settings: {batch_size: 5}}` → `{'settings.batch_size': 5}`: one level, so a change names the setting. */
function flatten(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(fields).flatMap(([k, v]) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v).map(([sub, value]) => [`${k}.${sub}`, value]) : [[k, v]],
    ),
  );
}

function diff(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const from = before[key] ?? null;
    const to = after[key] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[key] = maskEventData({ from, to }, key) as FieldChange;
  }
  return changes;
}
