import type { Doc } from '../core/read-store.js';
import type { JobDefinition } from './job.decider.js';
import type { Task } from './job.model.js';

/** The jobs read model: a job's configuration with its tasks in order. */
export interface JobDoc extends Doc, JobDefinition {
  workspaceId: string;
  tasks: Task[];
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  /** Revision of the job's stream this document reflects. */
  version: number;
  activeRunId: string | null;
  /** When the active run was requested. */
  activeRunSince: string | null;
  lastRun: { id: string; status: string; endedAt: string } | null;
  /** The latest cron slot fired or skipped. */
  lastSlot: string | null;
  /** When the schedule last changed: slots before it never fire. */
  scheduleSince: string;
}

export const JOBS = 'jobs';
