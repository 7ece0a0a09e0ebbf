import { DomainError } from '../../core/errors.js';
import { MASK } from '../../core/secrets.js';
import type { ConnectionDoc } from '../../connections/connections.read-model.js';
import { type DatasourceSpec, type IngestionSpec, quartzOf, STRATEGIES, type Strategy } from '../../ingestions/ingestion.model.js';
import type { JobDoc } from '../../jobs/jobs.read-model.js';
import type { RunStatus } from '../../jobs/job.model.js';
import { parseTaskQuery } from '../../jobs/task-query.js';
import type { RunDoc } from '../../runs/runs.read-model.js';
import { startTime } from '../../ingestions/ingestions.queries.js';

type Body = Record<string, unknown>;

const invalid = (reason: string, field?: string) => new DomainError('VALIDATION', reason, field);

function objectAt(value: unknown, path: string): Body {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(`[${path}] must be an object`, path);
  return value as Body;
}

/** Only these fields, as Elasticsearch refuses a field it does not know rather than ignore it. */
function onlyFields(body: Body, path: string, known: string[], why = ''): void {
  const unknown = Object.keys(body).find((key) => !known.includes(key));
  if (unknown) throw invalid(`[${path}] unknown field [${unknown}]${why}`, `${path}.${unknown}`);
}

function stringAt(body: Body, key: string, path: string, required: true): string;
function stringAt(body: Body, key: string, path: string, required?: false): string | null;
function stringAt(body: Body, key: string, path: string, required = false): string | null {
  const value = body[key];
  if (value === undefined || value === null) {
    if (required) throw invalid(`[${path}.${key}] is required`, `${path}.${key}`);
    return null;
  }
  if (typeof value !== 'string' || (required && !value.trim())) throw invalid(`[${path}.${key}] must be a${required ? ' non-empty' : ''} string`, `${path}.${key}`);
  return value;
}

/**
 * A Siren datasource as a connection: `jdbc:postgresql://host:port/db` becomes a postgres URL with the user
 * name in it and the password as its secret setting, JDBC `properties` its query parameters (sslmode=require
 * and the like); `jdbc:sqlite:<file>` a SQLite file. `driver` names a Java class and is not needed.
 */
export function datasourceSpec(raw: unknown): DatasourceSpec {
  const body = objectAt(raw, 'body');
  onlyFields(body, 'body', ['jdbc'], ': Sluice datasources are JDBC URLs');
  const jdbc = objectAt(body.jdbc, 'jdbc');
  onlyFields(jdbc, 'jdbc', ['url', 'username', 'password', 'driver', 'properties']);
  const url = stringAt(jdbc, 'url', 'jdbc', true);
  const username = stringAt(jdbc, 'username', 'jdbc');
  const password = stringAt(jdbc, 'password', 'jdbc');
  stringAt(jdbc, 'driver', 'jdbc');
  const properties = jdbc.properties === undefined ? {} : objectAt(jdbc.properties, 'jdbc.properties');
  if (url.startsWith('jdbc:sqlite:')) {
    const path = url.slice('jdbc:sqlite:'.length);
    if (!path) throw invalid('[jdbc.url] jdbc:sqlite: needs a file path', 'jdbc.url');
    if (username || password || Object.keys(properties).length) throw invalid('[jdbc] a SQLite datasource takes no username, password or properties', 'jdbc');
    return { kind: 'sqlite', settings: { path } };
  }
  if (!/^jdbc:postgresql:\/\/[^/?#]+/.test(url)) {
    throw invalid(`[jdbc.url] "${url}" is not supported: Sluice reads jdbc:postgresql://host[:port]/database and jdbc:sqlite:<file>`, 'jdbc.url');
  }
  let parsed: URL;
  try {
    parsed = new URL(url.slice('jdbc:'.length));
  } catch {
    throw invalid(`[jdbc.url] "${url}" is not a valid URL`, 'jdbc.url');
  }
  if (username) parsed.username = encodeURIComponent(username);
  for (const [key, value] of Object.entries(properties)) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) throw invalid(`[jdbc.properties.${key}] must be a string, number or boolean`, `jdbc.properties.${key}`);
    parsed.searchParams.set(key, String(value));
  }
  return { kind: 'postgres', settings: { url: parsed.toString(), ...(password ? { password } : {}) } };
}

/** A datasource as Siren shows it again: the JDBC URL and user name, the password masked. */
export function datasourceSource(doc: ConnectionDoc): { jdbc: Body } {
  const settings = doc.settings as Record<string, unknown>;
  if (doc.kind === 'sqlite') return { jdbc: { url: `jdbc:sqlite:${String(settings.path)}` } };
  const url = new URL(String(settings.url));
  const username = decodeURIComponent(url.username);
  url.username = '';
  url.password = '';
  return { jdbc: { url: `jdbc:${url.toString()}`, ...(username ? { username } : {}), ...(settings.password ? { password: MASK } : {}) } };
}

const INGEST_FIELDS = ['datasource', 'query', 'target', 'target_datasource', 'pk_field', 'strategy', 'batch_size', 'schedule', 'enable_scheduler', 'enable_schedule', 'description'];
// Elasticsearch's own parts of an ingestion (mappings, pipelines, transforms) have no use for a SQL table.
const NOT_SQL = `; the fields are ${INGEST_FIELDS.filter((f) => f !== 'enable_schedule').join(', ')} (Sluice loads SQL tables: no Elasticsearch mappings, pipelines or transforms)`;

export function ingestionSpec(raw: unknown): IngestionSpec {
  const body = objectAt(raw, 'body');
  onlyFields(body, 'body', ['ingest']);
  const ingest = objectAt(body.ingest, 'ingest');
  onlyFields(ingest, 'ingest', INGEST_FIELDS, NOT_SQL);
  const strategy = (stringAt(ingest, 'strategy', 'ingest') ?? 'REPLACE').toUpperCase();
  if (!STRATEGIES.includes(strategy as Strategy)) throw invalid(`[ingest.strategy] must be one of ${STRATEGIES.join(', ')}`, 'ingest.strategy');
  const batchSize = ingest.batch_size;
  if (batchSize !== undefined && batchSize !== null && (!Number.isInteger(batchSize) || (batchSize as number) < 1 || (batchSize as number) > 100_000)) {
    throw invalid('[ingest.batch_size] must be a whole number from 1 to 100000', 'ingest.batch_size');
  }
  const enable = ingest.enable_scheduler ?? ingest.enable_schedule;
  if (enable !== undefined && typeof enable !== 'boolean') throw invalid('[ingest.enable_scheduler] must be true or false', 'ingest.enable_scheduler');
  const schedule = stringAt(ingest, 'schedule', 'ingest');
  return {
    datasource: stringAt(ingest, 'datasource', 'ingest', true),
    query: stringAt(ingest, 'query', 'ingest', true),
    target: stringAt(ingest, 'target', 'ingest', true),
    targetDatasource: stringAt(ingest, 'target_datasource', 'ingest'),
    pkField: stringAt(ingest, 'pk_field', 'ingest'),
    strategy: strategy as Strategy,
    batchSize: (batchSize as number | undefined) ?? null,
    schedule,
    // A schedule written down is meant to run, unless switched off.
    enableScheduler: enable ?? Boolean(schedule),
    description: stringAt(ingest, 'description', 'ingest'),
  };
}

/** An ingestion as Siren shows it again, from its job; datasources by the names given to them. */
export function ingestSource(job: JobDoc, names: { datasource: string | null; target: string | null }): { ingest: Body } {
  const task = job.tasks[0];
  return {
    ingest: {
      datasource: names.datasource,
      query: task?.sourceQuery ?? null,
      target: task ? parseTaskQuery(task.query).destination : null,
      ...(names.target ? { target_datasource: names.target } : {}),
      ...(task?.incrementalColumn ? { pk_field: task.incrementalColumn } : {}),
      strategy: job.settings.truncate_table_data ? 'REPLACE' : 'INCREMENTAL',
      ...(job.settings.batch_size !== null ? { batch_size: job.settings.batch_size } : {}),
      ...(job.schedule.cron ? { schedule: quartzOf(job.schedule.cron) } : {}),
      enable_scheduler: job.schedule.enabled,
      ...(job.settings.description !== null ? { description: job.settings.description } : {}),
    },
  };
}

export const SIREN_STATES = ['running', 'aborting', 'aborted', 'error', 'successful'] as const;
export type SirenState = (typeof SIREN_STATES)[number];

const STATE_OF: Record<RunStatus, SirenState> = {
  queued: 'running',
  running: 'running',
  cancelling: 'aborting',
  succeeded: 'successful',
  failed: 'error',
  cancelled: 'aborted',
};

export const STATUSES_OF = (state: SirenState): RunStatus[] => (Object.keys(STATE_OF) as RunStatus[]).filter((s) => STATE_OF[s] === state);

const INFOS: Record<SirenState, string> = {
  running: 'The job is running.',
  aborting: 'The job is aborting.',
  aborted: 'The job has been aborted.',
  error: 'The job has failed.',
  successful: 'The job is done.',
};

/**
 * The last id of a step: once it has succeeded or been aborted, its final watermark (the highest `pk_field`
 * loaded; an abort interrupts the batch in flight, so the last progress report may be up to a second older
 * than the rows counted), else the last progress report's.
 */
function lastIdOf(step: RunDoc['steps'][number]): unknown {
  const ended = step.status === 'succeeded' || step.status === 'cancelled';
  if (ended && step.incrementalColumn && step.watermark !== null && step.watermark !== undefined) return step.watermark;
  return step.metrics?.lastId ?? (step.status === 'succeeded' ? step.watermark : null);
}

/**
 * An execution as Siren's job status: `count` the rows loaded (live while it runs), `last_id` the highest
 * `pk_field` value loaded (else the last row's first column), `error` the failures, outermost first.
 */
export function jobStatus(id: string, run: RunDoc): Body {
  const state = STATE_OF[run.status];
  const running = state === 'running' || state === 'aborting';
  const count = run.steps.reduce((sum, s) => sum + Math.max(s.rowsWritten, s.metrics?.rowsProcessed ?? 0), 0);
  const lastId = run.steps.map(lastIdOf).find((v) => v !== null && v !== undefined);
  const errors = run.status === 'failed' ? [...new Set([run.error, ...run.steps.map((s) => s.error)].filter((e): e is string => Boolean(e)))] : [];
  return {
    version: 1,
    id,
    is_running: running,
    ...(state === 'aborting' || state === 'aborted' ? { is_aborting: true } : {}),
    start_time: startTime(run),
    ...(run.finishedAt ? { end_time: Date.parse(run.finishedAt) } : {}),
    infos: INFOS[state],
    ...(errors.length ? { error: errors } : {}),
    state,
    count,
    // As the seed shows an execution of no rows: a count of 0 and no last id (not the one an earlier execution reached).
    ...(lastId !== undefined && count > 0 ? { last_id: String(lastId) } : {}),
  };
}

export const statusAnswer = (id: string, run: RunDoc) => ({ _id: id, type: 'ingestion', found: true, status: jobStatus(id, run) });
