import type { JobType, Schedule } from '../jobs/job.model.js';

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

/** What a token made for a data sync may do: act on that data sync only. */
export const dataSyncScope = (id: string) => `datasync:${id}`;

/** Where a launch's CSV lives in the file store: the upload of an import or delete, the output of an export. */
export const uploadFile = (dataSyncId: string, uploadId: string) => `datasyncs/${dataSyncId}/uploads/${uploadId}.csv`;
export const exportFile = (dataSyncId: string, runId: string) => `datasyncs/${dataSyncId}/exports/${runId}.csv`;
