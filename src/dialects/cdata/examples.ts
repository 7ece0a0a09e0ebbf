/** Example answers for Swagger UI, in the shapes the CData dialect returns. */
export const CONNECTION_EXAMPLE = {
  id: '550e8400-e29b-41d4-a716-446655440000',
  workspace_id: 'default',
  name: 'warehouse',
  kind: 'postgres',
  settings: { url: 'postgresql://sluice@localhost:5432/warehouse' },
  created_at: '2026-11-23T08:00:00.000Z',
  updated_at: '2026-11-23T08:00:00.000Z',
  version: 0,
};

export const TASK_EXAMPLE = {
  id: '6f1c2f0e-8f55-4a53-9d2c-2b1f3f1d9a10',
  job_id: '0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21',
  query: 'REPLICATE [Accounts] SELECT * FROM [Accounts]',
  is_active: true,
  index: 0,
};

export const JOB_EXAMPLE = {
  id: '0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21',
  workspace_id: 'default',
  name: 'ReverseETLJob',
  type: 'ReverseETL',
  source_connection_id: '550e8400-e29b-41d4-a716-446655440000',
  destination_connection_id: '550e8400-e29b-41d4-a716-446655440220',
  schedule: { enabled: true, cron: '0 2 * * *', timezone: 'UTC' },
  send_email: false,
  email_to: null,
  batch_size: 1000,
  truncate_table_data: false,
  labels: ['nightly'],
  tasks: [TASK_EXAMPLE],
  created_at: '2026-11-23T08:00:00.000Z',
  created_by: 'admin',
  updated_at: '2026-11-23T08:00:00.000Z',
  version: 1,
};

export const list = (item: unknown) => ({ value: [item], next_cursor: 'WyIyMDI2LTExLTIzIiwiYWJjIl0' });
