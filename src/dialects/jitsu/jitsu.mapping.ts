import type { RunStatus } from '../../jobs/job.model.js';
import type { LogDoc, RunDoc } from '../../runs/runs.read-model.js';
import { JitsuError } from './jitsu-errors.js';

export const JITSU_STATUSES = ['SCHEDULED', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELED'] as const;
export type JitsuStatus = (typeof JITSU_STATUSES)[number];

const STATUS_OF: Record<RunStatus, JitsuStatus> = {
  queued: 'SCHEDULED',
  running: 'RUNNING',
  cancelling: 'RUNNING',
  succeeded: 'SUCCESS',
  failed: 'FAILED',
  cancelled: 'CANCELED',
};

export const jitsuStatus = (status: RunStatus): JitsuStatus => STATUS_OF[status];

export const runStatusesOf = (status: JitsuStatus): RunStatus[] => (Object.keys(STATUS_OF) as RunStatus[]).filter((s) => STATUS_OF[s] === status);

/** Jitsu's priorities: NOW for a task asked through the API, HIGH for a scheduled one. */
const PRIORITY = { manual: 300, schedule: 200 } as const;

/** Jitsu's time layout, `2006-01-02T15:04:05.000000Z`: Sluice keeps milliseconds, so the last three digits are 0. */
export const jitsuTime = (iso: string) => iso.replace(/\.(\d{3})Z$/, '.$1000Z');

export const jitsuTaskId = (source: string, collection: string, runId: string) => `${source}_${collection}_${runId}`;

const UUID = /_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** The pair prefix and the run id of a task id; undefined for anything Sluice did not give out. */
export function parseTaskId(taskId: string): { prefix: string; runId: string } | undefined {
  const match = UUID.exec(taskId);
  return match ? { prefix: taskId.slice(0, match.index), runId: match[1].toLowerCase() } : undefined;
}

/** A run as a Jitsu task: times absent until set, as in the seed. */
export function toJitsuTask(run: RunDoc, source: string, collection: string) {
  return {
    id: jitsuTaskId(source, collection, run.id),
    source,
    collection,
    priority: PRIORITY[run.trigger] * 10 ** 12 - Math.floor(Date.parse(run.queuedAt) / 1000),
    created_at: jitsuTime(run.queuedAt),
    ...(run.startedAt ? { started_at: jitsuTime(run.startedAt) } : {}),
    ...(run.finishedAt ? { finished_at: jitsuTime(run.finishedAt) } : {}),
    status: jitsuStatus(run.status),
  };
}

export function toJitsuLog(line: LogDoc, taskId: string) {
  return { time: jitsuTime(line.at), message: `[${taskId}] ${line.message}`, level: line.level, system: 'Sluice' };
}

/** A query parameter Jitsu requires. */
export function required(query: Record<string, unknown>, name: string): string {
  const value = query[name];
  if (Array.isArray(value)) throw new JitsuError(400, `'${name}' must be given once`);
  if (typeof value !== 'string' || !value) throw new JitsuError(400, `'${name}' is required query parameter`);
  return value;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 time (Jitsu parses RFC3339Nano) as Sluice's ISO form; anything else is Jitsu's 400. */
export function rfc3339(query: Record<string, unknown>, name: string, fallback?: string): string {
  const value = query[name];
  if (value === undefined && fallback !== undefined) return fallback;
  const text = required(query, name);
  const time = RFC3339.test(text) && realDate(text) ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(time.getTime())) {
    throw new JitsuError(400, `Error parsing '${name}' query parameter. Accepted datetime format: 2006-01-02T15:04:05.000000Z`, `"${text}" is not an RFC 3339 time`);
  }
  return time.toISOString();
}

/** `Date` rolls 2021-02-30 over into March: the day must exist in its month. */
function realDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
}

export function statusParam(query: Record<string, unknown>): JitsuStatus | undefined {
  const value = query.status;
  if (value === undefined || value === '') return undefined;
  const status = String(value).trim().toUpperCase();
  if (!(JITSU_STATUSES as readonly string[]).includes(status)) {
    throw new JitsuError(400, "Error parsing 'status' query parameter", `Unknown status: ${String(value)}. Supported: [${JITSU_STATUSES.join(', ')}]`);
  }
  return status as JitsuStatus;
}

/** `limit`: how many tasks at most; 0 or absent means all. */
export function limitParam(query: Record<string, unknown>): number {
  const value = query.limit;
  if (value === undefined || value === '') return 0;
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) throw new JitsuError(400, '[limit] must be int', `"${String(value)}" is not a whole number`);
  return Number(value);
}
