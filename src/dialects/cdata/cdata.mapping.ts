import type { ConnectionDoc } from '../../connections/connections.read-model.js';
import type { JobDoc } from '../../jobs/jobs.read-model.js';
import type { RunDoc, StepDoc } from '../../runs/runs.read-model.js';
import { nextRunAt } from '../../execution/scheduler.js';
import { derivedOnce } from '../../core/kept-answers.js';
import type { JobChanges } from '../../jobs/job.decider.js';
import { SETTING_NAMES, type JobSettings, type Task } from '../../jobs/job.model.js';
import type { JobSettingsDto } from './jobs.dto.js';

/** A job in CData's snake_case shape: identity, connections, schedule, every setting, and its tasks. */
export function toCDataJob(job: JobDoc) {
  const next_run_at = nextRunAt(job, new Date());
  const mapped = cdataJob(job);
  return next_run_at === null ? mapped : { ...mapped, next_run_at };
}

/** All but the next run, which moves with the clock: once for each job the read store keeps. */
const cdataJob = derivedOnce((job: JobDoc) => {
  return {
    id: job.id,
    workspace_id: job.workspaceId,
    name: job.name,
    type: job.type,
    enabled: job.enabled,
    source_connection_id: job.sourceConnectionId,
    destination_connection_id: job.destinationConnectionId,
    schedule: job.schedule,
    ...job.settings,
    tasks: job.tasks.map((t, i) => toCDataTask(job.id, t, i)),
    active_run_id: job.activeRunId,
    last_run: job.lastRun && { id: job.lastRun.id, status: job.lastRun.status, finished_at: job.lastRun.endedAt },
    next_run_at: null as string | null,
    created_at: job.createdAt,
    created_by: job.createdBy,
    updated_at: job.updatedAt,
    version: job.version,
  };
});

export function toCDataTask(jobId: string, task: Task, index: number) {
  return { id: task.id, job_id: jobId, query: task.query, is_active: task.isActive, incremental_column: task.incrementalColumn ?? null, destination_connection_id: task.destinationConnectionId ?? null, index };
}

export function toCDataConnection(c: ConnectionDoc) {
  return {
    id: c.id,
    workspace_id: c.workspaceId,
    name: c.name,
    kind: c.kind,
    settings: c.settings,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    version: c.version,
  };
}

/** The job changes a CData body asks for: connections in either form, `cron` at top level or in `schedule`. */
export function jobChanges(dto: JobSettingsDto & { name?: string; type?: JobChanges['type'] }): JobChanges {
  const settings: Partial<JobSettings> = {};
  for (const key of SETTING_NAMES) {
    if (dto[key] !== undefined) Object.assign(settings, { [key]: dto[key] });
  }
  const schedule = dto.schedule || dto.cron !== undefined ? { ...dto.schedule, ...(dto.cron !== undefined ? { cron: dto.cron } : {}) } : undefined;
  return {
    name: dto.name,
    type: dto.type,
    enabled: dto.enabled,
    sourceConnectionId: connectionChange(dto.source_connection_id, dto.source_connection),
    destinationConnectionId: connectionChange(dto.destination_connection_id, dto.destination_connection),
    schedule,
    settings,
  };
}

/** A connection given by id or as `{id}`; `null` in either form detaches it, absent leaves it. */
function connectionChange(id: string | null | undefined, ref: { id: string } | null | undefined): string | null | undefined {
  if (id !== undefined) return id;
  return ref === undefined ? undefined : (ref?.id ?? null);
}

/** A run as CData's job history entry, with a result per task. */
export function toCDataHistory(run: RunDoc) {
  return {
    id: run.id,
    job_id: run.jobId,
    job_name: run.jobName,
    status: run.status,
    trigger: run.trigger,
    requested_by: run.requestedBy,
    slot: run.slot,
    queued_at: run.queuedAt,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    duration_ms: run.durationMs,
    rows_read: run.rowsRead,
    rows_written: run.rowsWritten,
    error: run.error,
    tasks: run.steps.map((s) => toCDataStep(run, s)),
  };
}

export function toCDataStep(run: RunDoc, s: StepDoc) {
  return {
    task_id: s.taskId,
    history_id: run.id,
    query: s.query,
    status: s.status,
    source_table: s.source,
    destination_table: s.destination,
    rows_read: s.rowsRead,
    rows_written: s.rowsWritten,
    watermark: s.watermark ?? null,
    error: s.error,
    started_at: s.startedAt,
    finished_at: s.finishedAt,
    duration_ms: s.durationMs,
    metrics: s.metrics,
  };
}
