/** Job types: CData's five, and those the other dialects create (data syncs, Siren ingestion, Jitsu syncs). */
export const JOB_TYPES = [
  'Standard',
  'SyncAll',
  'LoadFolder',
  'ChangeDataCapture',
  'ReverseETL',
  'Import',
  'Export',
  'Delete',
  'Ingestion',
  'Sync',
] as const;
export type JobType = (typeof JOB_TYPES)[number];

export interface Schedule {
  enabled: boolean;
  cron: string;
  /** IANA time zone the cron is read in. */
  timezone: string;
}

/** The job settings CData Sync lists, under its snake_case names. Unset settings are null. */
export interface JobSettings {
  send_email: boolean;
  email_to: string | null;
  email_subject: string | null;
  email_error_only: boolean;
  enable_parallel_processing: boolean;
  worker_pool: number | null;
  verbosity: number;
  destination_schema: string | null;
  table_name_prefix: string | null;
  use_gmt_datetime: boolean;
  history_mode: boolean;
  truncate_table_data: boolean;
  drop_table: boolean;
  auto_truncate_strings: boolean;
  continue_on_error: boolean;
  deletion_behavior: string | null;
  alter_schema: boolean;
  replicate_interval: number | null;
  replicate_interval_unit: string | null;
  replicate_start_date: string | null;
  batch_size: number | null;
  pre_job_event: string | null;
  post_job_event: string | null;
  cdc_engine_settings: Record<string, unknown> | null;
  labels: string[];
  pipeline_id: string | null;
  /** Sluice's addition: the default incremental column of the job's tasks. */
  incremental_column: string | null;
  /** Sluice's addition: log search keeps the lines of only this many latest runs of the job (null: all). */
  log_retention_runs: number | null;
  /** Sluice's addition for data syncs: their Prisma routes need one of their tokens (HTTP Basic `api:<token>`). */
  api_auth: boolean;
  /** Sluice's addition: free text about the job (a Siren ingestion's description). */
  description: string | null;
}

export const DEFAULT_SETTINGS: JobSettings = {
  send_email: false,
  email_to: null,
  email_subject: null,
  email_error_only: false,
  enable_parallel_processing: false,
  worker_pool: null,
  verbosity: 2,
  destination_schema: null,
  table_name_prefix: null,
  use_gmt_datetime: false,
  history_mode: false,
  truncate_table_data: false,
  drop_table: false,
  auto_truncate_strings: false,
  continue_on_error: false,
  deletion_behavior: null,
  alter_schema: false,
  replicate_interval: null,
  replicate_interval_unit: null,
  replicate_start_date: null,
  batch_size: null,
  pre_job_event: null,
  post_job_event: null,
  cdc_engine_settings: null,
  labels: [],
  pipeline_id: null,
  incremental_column: null,
  log_retention_runs: null,
  api_auth: false,
  description: null,
};

export const SETTING_NAMES = Object.keys(DEFAULT_SETTINGS) as Array<keyof JobSettings>;

export const DEFAULT_SCHEDULE: Schedule = { enabled: false, cron: '', timezone: 'UTC' };

export interface Task {
  id: string;
  query: string;
  isActive: boolean;
  /** Column whose highest loaded value is remembered, so the next run reads only rows above it. */
  incrementalColumn?: string | null;
  /** The connection this task writes to, when not the job's: one source loaded into several destinations. */
  destinationConnectionId?: string | null;
  /** Columns rows are matched by when upserted or deleted (a data sync's key_columns); null: the table's primary key. */
  keyColumns?: string[] | null;
  /** A raw SQL query (a Mustache template, see source-query.ts) read from the source instead of the query's table: a Siren ingestion. */
  sourceQuery?: string | null;
}

export const RUN_STATUSES = ['queued', 'running', 'cancelling', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export type FinalRunStatus = Extract<RunStatus, 'succeeded' | 'failed' | 'cancelled'>;
export type RunTrigger = 'manual' | 'schedule';

export const jobStream = (jobId: string) => `job-${jobId}`;

export interface JobDefinition {
  name: string;
  type: JobType;
  /** A disabled job keeps its history but never runs (a pair removed from the config file, a data sync switched off). */
  enabled: boolean;
  sourceConnectionId: string | null;
  destinationConnectionId: string | null;
  schedule: Schedule;
  settings: JobSettings;
}

export interface JobChanges extends Partial<Omit<JobDefinition, 'schedule' | 'settings'>> {
  schedule?: Partial<Schedule>;
  settings?: Partial<JobSettings>;
}

/** Imports and deletes (data syncs) run on an uploaded file: never on request without one, nor on a schedule. */
export const runsOnFile = (type: JobType | undefined) => type === 'Import' || type === 'Delete';
