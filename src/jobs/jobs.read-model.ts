import type { Doc } from '../core/read-store.js';
import type { JobState } from './job.decider.js';

/** The jobs read model: the job decider's state (configuration, tasks in order, run tracking) plus what only readers need. */
export interface JobDoc extends Doc, Extract<JobState, { status: 'active' | 'deleted' }> {
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  /** Revision of the job's stream this document reflects. */
  version: number;
  /** When the active run was requested. */
  activeRunSince: string | null;
  lastRun: { id: string; status: string; endedAt: string } | null;
  /** When the schedule last changed: slots before it never fire. */
  scheduleSince: string;
}

export const JOBS = 'jobs';
