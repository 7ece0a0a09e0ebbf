import { DomainError } from '../core/errors.js';
import { deterministicUuid } from '../core/write-path.js';
import type { JobDefinition, Task } from '../jobs/job.model.js';
import { DEFAULT_SETTINGS } from '../jobs/job.model.js';
import { MAX_PRIMARY_KEY } from '../jobs/source-query.js';
import type { ConnectionKind, ConnectionSettings } from '../connections/connection.decider.js';

/**
 * Siren Federate's datasources and ingestions: a datasource is a connection, an ingestion a job of type
 * Ingestion with one task reading the ingestion's SQL, an execution a run. They live in their own workspace,
 * named by the ids the user chose: connection and job ids follow from those ids, so no lookup table is needed.
 */
export const SIREN_WORKSPACE = 'siren';
export const datasourceConnectionId = (id: string) => deterministicUuid(`siren:datasource:${id}`);
export const ingestionJobId = (id: string) => deterministicUuid(`siren:ingestion:${id}`);

/** Ids as Elasticsearch takes them for a document, less what would not survive a URL path. */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkId(id: string, what: 'datasource' | 'ingestion'): string {
  if (!ID.test(id)) throw new DomainError('VALIDATION', `${what} id [${id}] must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit`, 'id');
  return id;
}

export const STRATEGIES = ['REPLACE', 'INCREMENTAL'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface DatasourceSpec {
  kind: ConnectionKind;
  settings: ConnectionSettings;
}

/** What Sluice keeps of an ingestion: everything its GET shows again. */
export interface IngestionSpec {
  datasource: string;
  query: string;
  target: string;
  /** Where `target` is loaded: a datasource, or (null) the SQLite file Sluice keeps for ingestions. */
  targetDatasource: string | null;
  pkField: string | null;
  strategy: Strategy;
  batchSize: number | null;
  schedule: string | null;
  enableScheduler: boolean;
  description: string | null;
}

/**
 * The job of an ingestion. REPLACE empties the target before each load and reads the whole query (its
 * `max_primary_key` section left out); INCREMENTAL upserts by `pk_field` and fills `max_primary_key` with the
 * highest key earlier executions loaded. Either way `pk_field` is the task's incremental column, so each
 * execution knows its last id.
 */
export function ingestionJob(id: string, spec: IngestionSpec): { jobId: string; definition: JobDefinition; tasks: Task[] } {
  if (spec.strategy === 'INCREMENTAL' && !spec.pkField) throw new DomainError('VALIDATION', 'an INCREMENTAL ingestion needs [pk_field]', 'pk_field');
  if (spec.query.includes(MAX_PRIMARY_KEY) && !spec.pkField) throw new DomainError('VALIDATION', `[query] uses ${MAX_PRIMARY_KEY}, which needs [pk_field]`, 'pk_field');
  const jobId = ingestionJobId(id);
  const cron = spec.schedule ? quartzToCron(spec.schedule) : '';
  const definition: JobDefinition = {
    name: id,
    type: 'Ingestion',
    enabled: true,
    sourceConnectionId: datasourceConnectionId(spec.datasource),
    destinationConnectionId: spec.targetDatasource ? datasourceConnectionId(spec.targetDatasource) : null,
    schedule: { enabled: Boolean(cron) && spec.enableScheduler, cron, timezone: 'UTC' },
    settings: {
      ...DEFAULT_SETTINGS,
      batch_size: spec.batchSize,
      truncate_table_data: spec.strategy === 'REPLACE',
      incremental_column: spec.pkField,
      description: spec.description,
    },
  };
  const task: Task = {
    id: deterministicUuid(`${jobId}:task`),
    query: `REPLICATE [${spec.target.replaceAll(']', '')}]`,
    isActive: true,
    incrementalColumn: spec.pkField,
    keyColumns: spec.pkField ? [spec.pkField] : null,
    sourceQuery: spec.query,
  };
  return { jobId, definition, tasks: [task] };
}

/**
 * Siren's schedules are Quartz crons: seconds first, `?` for "any day", an optional year, and days of the
 * week numbered 1 (Sunday) to 7 (Saturday), where the scheduler's cron numbers them 0 to 6. A five-field Unix
 * cron is refused rather than read a field off. The year field is accepted only as `*` (every year).
 */
function quartzToCron(schedule: string): string {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length === 7) {
    if (fields[6] !== '*' && fields[6] !== '?') throw new DomainError('VALIDATION', `[schedule] "${schedule}": a year field other than * is not supported`, 'schedule');
    fields.pop();
  }
  if (fields.length !== 6) {
    throw new DomainError('VALIDATION', `[schedule] "${schedule}" is not a Quartz cron: it has 6 fields (7 with a year), seconds first, e.g. "0 0 * * * ?" for every hour`, 'schedule');
  }
  fields[5] = shiftWeekdays(fields[5], -1);
  return fields.join(' ');
}

/** The Quartz cron a stored schedule was given as (see quartzToCron), for showing an ingestion again. */
export function quartzOf(cron: string): string {
  const fields = cron.trim().split(/\s+/);
  if (fields.length === 6) fields[5] = shiftWeekdays(fields[5], 1);
  return fields.join(' ');
}

/** A day-of-week field with its day numbers moved by `by` (Quartz → cron: -1); steps (`/2`) and nth (`#1`) counts unchanged. */
function shiftWeekdays(field: string, by: 1 | -1): string {
  // Only days the other side has: Quartz's 1-7, cron's 0-6 (anything else is left for the cron check to refuse).
  const day = (text: string) => ((by < 0 ? /^[1-7]$/ : /^[0-6]$/).test(text) ? String(Number(text) + by) : text);
  return field
    .split(',')
    .map((item) => {
      const [range, step] = item.split('/');
      const [base, nth] = range.split('#');
      const days = base.replace(/^(\d)(L?)$/, (_, d: string, last: string) => `${day(d)}${last}`).replace(/^(\d)-(\d)$/, (_, a: string, b: string) => `${day(a)}-${day(b)}`);
      return `${days}${nth !== undefined ? `#${nth}` : ''}${step !== undefined ? `/${step}` : ''}`;
    })
    .join(',');
}
