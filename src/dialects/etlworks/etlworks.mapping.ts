import { DomainError } from '../../core/errors.js';
import type { RunStatus } from '../../jobs/job.model.js';
import { type LogDoc, type RunDoc, runNumberOf, type StepDoc } from '../../runs/runs.read-model.js';

/** Etlworks' task types: CDC stream, extract, load, script or file task, high-watermark query. */
export const TASK_TYPES = ['stream', 'extract', 'load', 'task', 'hwm'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** One running task, every field of the seed. Times are epoch milliseconds, durations and latencies milliseconds. */
export interface EtlworksTask {
  requestId: string;
  owner: string;
  name: string;
  started: number;
  duration: number;
  code: string;
  type: TaskType;
  tenant: string;
  language: null;
  latency: number | null;
  maxLatency: number | null;
  minLatency: number | null;
  avgLatency: number | null;
  recordsProcessed: number;
  recordsProcessedSinceLastCheck: number;
  lastCheck: number | null;
  lastTimeRecordsReceivedDate: number | null;
}

/** Etlworks' flow status codes. */
export const FLOW_STATUS = { started: 0, running: 1, canceled: 2, notRunning: 3, success: 4, error: 5 } as const;

const STATUS_OF: Record<RunStatus, number> = {
  queued: FLOW_STATUS.started,
  running: FLOW_STATUS.running,
  cancelling: FLOW_STATUS.running,
  cancelled: FLOW_STATUS.canceled,
  succeeded: FLOW_STATUS.success,
  failed: FLOW_STATUS.error,
};

export const flowStatus = (status: RunStatus): number => STATUS_OF[status];

const value = (v: unknown) => (v === undefined ? 'null' : JSON.stringify(v));
const ms = (at: string | null | undefined) => (at ? Date.parse(at) : null);

/**
 * A run's running steps as Etlworks sees them: each copies rows, so it is an extract (reading its source) and
 * a load (writing its destination); a step whose run planned an incremental column is also an hwm task, whose
 * code holds the high watermark reached so far. Sluice runs no CDC streams or scripts: `stream` and `task`
 * have no entries yet.
 */
export function toEtlworksTasks(run: RunDoc, now: number): EtlworksTask[] {
  return run.steps.flatMap((step, index) => {
    if (step.status !== 'running') return [];
    const column = step.incrementalColumn || undefined;
    const types: TaskType[] = column ? ['extract', 'load', 'hwm'] : ['extract', 'load'];
    return types.map((type) => toTask(run, step, index, type, column, now));
  });
}

function toTask(run: RunDoc, step: StepDoc, index: number, type: TaskType, column: string | undefined, now: number): EtlworksTask {
  const m = step.metrics;
  const started = ms(step.startedAt) ?? ms(run.startedAt) ?? now;
  const source = step.source ?? `task ${index + 1}`;
  const destination = step.destination ?? `task ${index + 1}`;
  const names: Record<TaskType, string> = {
    extract: `${run.jobName}: extract [${source}]`,
    load: `${run.jobName}: load [${destination}]`,
    hwm: `${run.jobName}: high watermark of [${source}].${column}`,
    stream: `${run.jobName}: stream [${source}]`,
    task: `${run.jobName}: task ${index + 1}`,
  };
  return {
    requestId: `${run.id}/${step.taskId}/${type}`,
    owner: run.requestedBy,
    name: names[type],
    started,
    duration: Math.max(0, now - started),
    code: code(type, step, source, destination, column),
    type,
    tenant: run.workspaceId,
    language: null,
    // Workers keep running figures per batch, not a last-batch one: the current latency is the running average.
    latency: m?.latencyMs.avg ?? null,
    maxLatency: m?.latencyMs.max ?? null,
    minLatency: m?.latencyMs.min ?? null,
    avgLatency: m?.latencyMs.avg ?? null,
    recordsProcessed: m?.rowsProcessed ?? 0,
    recordsProcessedSinceLastCheck: m?.sinceLastCheck ?? 0,
    lastCheck: ms(m?.at),
    lastTimeRecordsReceivedDate: m && m.rowsProcessed > 0 ? ms(m.at) : null,
  };
}

/** "The formatted metrics": one readable line per task. */
function code(type: TaskType, step: StepDoc, source: string, destination: string, column: string | undefined): string {
  const m = step.metrics;
  if (type === 'hwm') {
    const current = m ? m.lastId : step.watermarkBefore;
    return `High watermark ${column} = ${value(current ?? null)} (${value(step.watermarkBefore ?? null)} when the run started)`;
  }
  const moved = type === 'load' ? `Loaded ${m?.rowsProcessed ?? 0} records into [${destination}]` : `Extracted ${m?.rowsProcessed ?? 0} records from [${source}]`;
  if (!m) return `${moved}; no batch yet`;
  const { min, avg, max } = m.latencyMs;
  return `${moved}, ${m.sinceLastCheck} since the last check; ms per batch: min ${min}, avg ${avg}, max ${max}; last id ${value(m.lastId)}`;
}

/** A log line as Etlworks' flow log has it: time, level, message. */
export const logLine = (line: LogDoc) => `${line.at} ${line.level.toUpperCase().padEnd(5)} ${line.message}\n`;

type Params = Record<string, unknown>;

const invalid = (message: string, field: string) => new DomainError('VALIDATION', message, field);
/** A value sent, as an error message quotes it: short, whatever was sent. */
const shown = (v: unknown) => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

/** Refuses query parameters a route does not take (the token's `Authorization` is always taken). */
export function onlyParams(query: Params, names: string[]): void {
  const unknown = Object.keys(query).filter((key) => key !== 'Authorization' && !names.includes(key));
  if (unknown.length) throw invalid(`Unknown query parameter ${shown(unknown[0])}; this route takes ${names.length ? names.join(', ') : 'none'}`, unknown[0]);
}

/** `?type=`: one of TASK_TYPES; absent or empty means every type. */
export function typeParam(query: Params): TaskType | undefined {
  onlyParams(query, ['type']);
  const type = query.type;
  if (type === undefined || type === '') return undefined;
  if (typeof type !== 'string' || !(TASK_TYPES as readonly string[]).includes(type)) {
    throw invalid(`type must be one of ${TASK_TYPES.join(', ')}, not ${shown(type)}`, 'type');
  }
  return type as TaskType;
}

/** An audit id: the number of a run. */
export function auditIdOf(text: unknown, field: string): number {
  const number = runNumberOf(text);
  if (number === undefined) throw invalid(`${field} must be a whole number (an audit id, from 1), not ${shown(text)}`, field);
  return number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A flow id: Sluice's job id, a UUID. */
export function flowIdOf(text: unknown, field: string): string {
  if (typeof text !== 'string' || !UUID.test(text)) throw invalid(`${field} must be a flow id (a job's UUID), not ${shown(text)}`, field);
  return text.toLowerCase();
}
