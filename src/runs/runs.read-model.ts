import type { Doc } from '../core/read-store.js';
import type { RunStatus } from '../jobs/job.model.js';
import type { LogLevel, RunOwner, RunPlan, StepMetrics } from './run.decider.js';

export interface StepDoc {
  taskId: string;
  query: string;
  /**
   * The incremental column the run planned for the task (its own or the job's, fixed when the run was queued);
   * null for a full copy. Absent in steps projected before it was kept: RunningRuns fills it from the job.
   */
  incrementalColumn?: string | null;
  /** `skipped`: never started, because its run failed or was cancelled first. */
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';
  source: string | null;
  destination: string | null;
  rowsRead: number;
  rowsWritten: number;
  watermarkBefore: unknown;
  watermark: unknown;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  metrics: (StepMetrics & { at: string }) | null;
}

/** A run with its steps and their live metrics: CData's history, Jitsu's task, Etlworks' running task. */
export interface RunDoc extends Doc {
  /** The run's number (Prisma's launch id, Etlworks' audit id). */
  number: number;
  jobId: string;
  workspaceId: string;
  jobName: string;
  status: RunStatus;
  trigger: RunPlan['trigger'];
  requestedBy: string;
  slot: string | null;
  owner: RunOwner | null;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  rowsRead: number;
  rowsWritten: number;
  error: string | null;
  /** The file the run imports or deletes by (a data sync's upload), in the file store. */
  file: string | null;
  /** Who asked for the cancel of a cancelled run. */
  cancelledBy: string | null;
  steps: StepDoc[];
  version: number;
}

export const RUNS = 'runs';

/** A run number as dialects show it (Prisma's launch id, Etlworks' audit id): a whole number from 1, at most 15 digits, no leading zero. */
export const RUN_NUMBER = /^[1-9]\d{0,14}$/;

/** The run number `text` spells, or undefined when it spells none. */
export const runNumberOf = (text: unknown): number | undefined => (typeof text === 'string' && RUN_NUMBER.test(text) ? Number(text) : undefined);

export const LOG_LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** One document per log line, indexed by time for run, job and level. */
export interface LogDoc extends Doc {
  runId: string;
  jobId: string;
  taskId: string | null;
  at: string;
  level: LogLevel;
  /** The level as a number, so "this level and above" is a range query. */
  severity: number;
  message: string;
  /** Fixed-width log position: lines sort in the order they were written. */
  position: string;
}

export const LOGS = 'logs';
