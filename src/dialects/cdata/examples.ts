import { freeForm } from '../../http/api-docs.js';

/** Example answers for Swagger UI, in the shapes the CData dialect returns: every field, so the schemas read off them are whole. */
export const CONNECTION_EXAMPLE = {
  id: '550e8400-e29b-41d4-a716-446655440000',
  workspace_id: 'default',
  name: 'warehouse',
  kind: 'postgres',
  settings: freeForm({ url: 'postgresql://sluice@localhost:5432/warehouse' }),
  created_at: '2026-11-23T08:00:00.000Z',
  updated_at: '2026-11-23T08:00:00.000Z',
  version: 0,
};

export const TASK_EXAMPLE = {
  id: '6f1c2f0e-8f55-4a53-9d2c-2b1f3f1d9a10',
  job_id: '0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21',
  query: 'REPLICATE [Accounts] SELECT * FROM [Accounts]',
  is_active: true,
  incremental_column: 'updated_at',
  destination_connection_id: null,
  index: 0,
};

export const JOB_EXAMPLE = {
  id: '0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21',
  workspace_id: 'default',
  name: 'ReverseETLJob',
  type: 'ReverseETL',
  enabled: true,
  source_connection_id: '550e8400-e29b-41d4-a716-446655440000',
  destination_connection_id: '550e8400-e29b-41d4-a716-446655440220',
  schedule: { enabled: true, cron: '0 2 * * *', timezone: 'UTC' },
  send_email: false,
  email_to: 'ops@example.com',
  email_subject: 'Nightly sync',
  email_error_only: true,
  enable_parallel_processing: false,
  worker_pool: 4,
  verbosity: 2,
  destination_schema: 'public',
  table_name_prefix: 'stg_',
  use_gmt_datetime: false,
  history_mode: false,
  truncate_table_data: false,
  drop_table: false,
  auto_truncate_strings: false,
  continue_on_error: false,
  deletion_behavior: 'HardDelete',
  alter_schema: true,
  replicate_interval: 7,
  replicate_interval_unit: 'days',
  replicate_start_date: '2026-01-01',
  batch_size: 1000,
  pre_job_event: 'notify-start',
  post_job_event: 'notify-end',
  cdc_engine_settings: freeForm({ name: 'pg', schema: 'public' }),
  labels: ['nightly'],
  pipeline_id: 'p-7',
  incremental_column: 'updated_at',
  log_retention_runs: null,
  api_auth: false,
  description: null,
  tasks: [TASK_EXAMPLE],
  active_run_id: '3f2b8c1a-5d4e-4f6a-9b7c-8d9e0f1a2b3c',
  last_run: { id: '1a2b3c4d-0000-4000-8000-000000000000', status: 'succeeded', finished_at: '2026-11-22T02:00:03.000Z' },
  next_run_at: '2026-11-24T02:00:00.000Z',
  created_at: '2026-11-23T08:00:00.000Z',
  created_by: 'admin',
  updated_at: '2026-11-23T08:00:00.000Z',
  version: 1,
};

/** What Swagger UI's "Try it out" sends for `POST .../jobs`: valid as it stands on a fresh install (no connections needed). */
export const CREATE_JOB_EXAMPLE = {
  name: 'NightlyAccounts',
  type: 'Standard',
  schedule: { enabled: true, cron: '0 2 * * *', timezone: 'UTC' },
  batch_size: 1000,
  labels: ['nightly'],
  queries: ['REPLICATE [Accounts] SELECT * FROM [Accounts]'],
};

export const list = (item: unknown) => ({ value: [item], next_cursor: 'WyIyMDI2LTExLTIzIiwiYWJjIl0' });

export const HISTORY_EXAMPLE = {
  id: '3f2b8c1a-5d4e-4f6a-9b7c-8d9e0f1a2b3c',
  job_id: JOB_EXAMPLE.id,
  job_name: 'ReverseETLJob',
  status: 'succeeded',
  trigger: 'manual',
  requested_by: 'admin',
  slot: null,
  queued_at: '2026-11-23T08:00:00.000Z',
  started_at: '2026-11-23T08:00:00.120Z',
  finished_at: '2026-11-23T08:00:01.400Z',
  duration_ms: 1280,
  rows_read: 1500,
  rows_written: 1500,
  error: null,
  tasks: [
    {
      task_id: TASK_EXAMPLE.id,
      history_id: '3f2b8c1a-5d4e-4f6a-9b7c-8d9e0f1a2b3c',
      query: 'REPLICATE [Accounts] SELECT * FROM [Accounts]',
      status: 'succeeded',
      source_table: 'Accounts',
      destination_table: 'Accounts',
      rows_read: 1500,
      rows_written: 1500,
      watermark: 1500,
      error: null,
      started_at: '2026-11-23T08:00:00.130Z',
      finished_at: '2026-11-23T08:00:01.390Z',
      duration_ms: 1260,
      metrics: { rowsProcessed: 1500, sinceLastCheck: 500, latencyMs: { min: 2.1, max: 9.8, avg: 4.2 }, lastId: 1500, at: '2026-11-23T08:00:01.380Z' },
    },
  ],
};

export const STATUS_EXAMPLE = {
  job_id: JOB_EXAMPLE.id,
  status: 'running',
  active_run_id: HISTORY_EXAMPLE.id,
  last_run: { id: '1a2b3c4d-0000-4000-8000-000000000000', status: 'succeeded', finished_at: '2026-11-22T02:00:03.000Z' },
  next_run_at: '2026-11-24T02:00:00.000Z',
};
