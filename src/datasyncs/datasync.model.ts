import { CronExpressionParser } from 'cron-parser';
import type { JobType, Schedule } from '../jobs/job.model.js';
import type { Principal } from '../identity/principal.js';
import { allows, type Role } from '../identity/roles.js';

/** A data sync (Prisma Campaigns): a job of type Import, Export or Delete on one table of one connection; a launch is a run. */
export const DATASYNC_KINDS = ['import', 'export', 'delete'] as const;
export type DataSyncKind = (typeof DATASYNC_KINDS)[number];

export const JOB_TYPE_OF: Record<DataSyncKind, JobType> = { import: 'Import', export: 'Export', delete: 'Delete' };
export const KIND_OF: Partial<Record<JobType, DataSyncKind>> = { Import: 'import', Export: 'export', Delete: 'delete' };

export interface DataSyncSpec {
  name: string;
  kind: DataSyncKind;
  connectionId: string;
  table: string;
  /** Columns rows are matched by; null: the table's primary key (imports without one append). */
  keyColumns: string[] | null;
  schedule?: Partial<Schedule>;
  enabled: boolean;
  /** When true, the data sync's Prisma routes need HTTP Basic `api:<token>` with one of its tokens. */
  auth: boolean;
}

/** A data sync's one task: `REPLICATE [<table>]`, its table matched by its key columns. */
export const replicateQuery = (table: string) => `REPLICATE [${table}]`;

/** The table of a data sync's task (see replicateQuery); null for a query of any other shape. */
export function tableOf(query: string | undefined): string | null {
  return /^REPLICATE \[(.*)\]$/.exec(query ?? '')?.[1] ?? null;
}

/** When a data sync launches next: only an enabled export runs on a schedule (imports and deletes run on an uploaded file). */
export function nextLaunchAt(kind: DataSyncKind, job: { enabled: boolean; schedule: Schedule }, now: Date): string | null {
  const { schedule } = job;
  if (kind !== 'export' || !job.enabled || !schedule.enabled || !schedule.cron) return null;
  return CronExpressionParser.parse(schedule.cron, { currentDate: now, tz: schedule.timezone }).next().toISOString() ?? null;
}

/** What a token made for a data sync may do: act on that data sync only. */
export const dataSyncScope = (id: string) => `datasync:${id}`;

/**
 * Why `principal` may not act on data sync `id` with `role`, or null when it may: a token scoped to anything
 * else (another data sync, a job) never may, whatever its roles; any credential needs the role.
 */
export function refusalOnDataSync(principal: Principal, role: Role | undefined, id: string): string | null {
  if (principal.scope && principal.scope !== dataSyncScope(id)) return `${principal.actor} belongs to another resource (${principal.scope})`;
  if (role && !allows(principal.roles, role)) return `Needs the ${role} role. ${principal.actor} has ${principal.roles.join(', ') || 'no role'}`;
  return null;
}

/** Where a launch's CSV lives in the file store: the upload of an import or delete, the output of an export. */
export const uploadFile = (dataSyncId: string, uploadId: string) => `datasyncs/${dataSyncId}/uploads/${uploadId}.csv`;
export const exportFile = (dataSyncId: string, runId: string) => `datasyncs/${dataSyncId}/exports/${runId}.csv`;
/** Every file of a data sync (its uploads and exports) starts with this: deleting the data sync deletes them. */
export const dataSyncFiles = (dataSyncId: string) => `datasyncs/${dataSyncId}/`;
