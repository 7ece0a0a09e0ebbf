import type { Via } from '../core/events.js';
import type { Doc } from '../core/read-store.js';
import type { FinalRunStatus, RunTrigger } from '../jobs/job.model.js';

/** A field's value before and after a change (null where it had none). */
export interface FieldChange {
  from: unknown;
  to: unknown;
}

/** One entry of a job's audit timeline: a change to the job, or a step in the life of one of its runs. */
export interface AuditEntryDoc extends Doc {
  jobId: string;
  /** The event's log position, as the event store gives it. */
  position: string;
  /** The same, fixed-width, to sort on. */
  order: string;
  stream: string;
  revision: number;
  at: string;
  type: string;
  actor: string;
  correlationId: string;
  causationId: string | null;
  via: Via | null;
  /** Fields of the job that changed, by dotted name (`settings.batch_size`). */
  changes?: Record<string, FieldChange>;
  /** The task a task event is about, with its index. */
  task?: { id: string; query: string; index: number };
  run?: {
    id: string;
    trigger?: RunTrigger;
    status?: FinalRunStatus | 'queued' | 'running' | 'cancelling';
    rowsRead?: number;
    rowsWritten?: number;
    durationMs?: number;
    error?: string | null;
  };
  /** What else the event says: a skipped slot and why. */
  details?: Record<string, unknown>;
}

export const AUDIT = 'audit';

/** The entry types a timeline holds, for the `type` filter. */
export const AUDIT_TYPES = [
  'JobCreated',
  'JobUpdated',
  'JobDeleted',
  'TaskAdded',
  'TaskUpdated',
  'TaskMoved',
  'TaskDeleted',
  'ScheduledRunSkipped',
  'RunQueued',
  'RunStarted',
  'RunCancelRequested',
  'RunFinished',
] as const;
