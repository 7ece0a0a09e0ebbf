import type { Doc } from '../core/read-store.js';
import type { JobState } from './job.decider.js';
import type { Task } from './job.model.js';

/**
 * The job document as the jobs read model stores it: the job decider's state (configuration, run tracking)
 * plus what only readers need, without its tasks, which are documents of their own (JobTaskDoc), so that an
 * event of a job with thousands of tasks rewrites a small document.
 */
export interface JobRecord extends Doc, Omit<Extract<JobState, { status: 'active' | 'deleted' }>, 'tasks'> {
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
  /** How many tasks the job has. */
  taskCount: number;
}

/** A job with its tasks in order, as readers see it (see job-tasks.ts for how it is put together). */
export interface JobDoc extends JobRecord {
  tasks: Task[];
}

/** One task of a job, at its place in the job's order. */
export interface JobTaskDoc extends Doc {
  jobId: string;
  index: number;
  task: Task;
}

export const JOBS = 'jobs';
export const JOB_TASKS = 'job_tasks';

export const jobTaskId = (jobId: string, taskId: string) => `${jobId}/${taskId}`;
