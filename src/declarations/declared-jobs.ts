import type { DeclaredConfig, DeclaredStore } from '../config/config-file.js';
import { deterministicUuid } from '../core/write-path.js';
import { DEFAULT_SCHEDULE, DEFAULT_SETTINGS, type JobDefinition, type Task } from '../jobs/job.model.js';
import { parseTaskQuery, TaskQueryError } from '../jobs/task-query.js';

/** The workspace the config file owns: its connections and jobs are made and changed from the file at each start. */
export const DECLARED_WORKSPACE = 'jitsu';
/** Log search keeps the lines of a pair's latest 100 tasks, as Jitsu does. */
const LOG_RETENTION_RUNS = 100;

// Ids follow from names in the file, so each start finds what the last one made without reading a read model.
export const sourceConnectionId = (source: string) => deterministicUuid(`declared:source:${source}`);
export const destinationConnectionId = (destination: string) => deterministicUuid(`declared:destination:${destination}`);
export const pairJobId = (source: string, collection: string) => deterministicUuid(`declared:job:${source}\u0000${collection}`);

export interface DeclaredConnection extends DeclaredStore {
  id: string;
  name: string;
}

export interface DeclaredJob {
  jobId: string;
  definition: JobDefinition;
  tasks: Task[];
}

export function declaredConnections(config: DeclaredConfig): DeclaredConnection[] {
  return [
    ...Object.entries(config.destinations).map(([id, store]) => ({ id: destinationConnectionId(id), name: `destinations.${id}`, kind: store.kind, settings: store.settings })),
    ...Object.entries(config.sources).map(([id, source]) => ({ id: sourceConnectionId(id), name: `sources.${id}`, kind: source.kind, settings: source.settings })),
  ];
}

/**
 * One job per source/collection pair, named `<source>_<collection>` (the prefix of its Jitsu task ids), with
 * one task per destination of the source, each writing to its own destination connection. A query the task
 * grammar cannot read is an error naming its place in the file.
 */
export function declaredJobs(config: DeclaredConfig): DeclaredJob[] {
  return Object.values(config.sources).flatMap((source) =>
    source.collections.map((collection, index) => {
      const jobId = pairJobId(source.id, collection.name);
      const select = collection.query ?? `SELECT * FROM [${collection.table ?? collection.name}]`;
      const query = `REPLICATE [${collection.tableName}] ${select}`;
      try {
        parseTaskQuery(query);
      } catch (error) {
        if (!(error instanceof TaskQueryError)) throw error;
        const at = `sources.${source.id}.collections[${index}].parameters.${collection.query ? 'query' : 'table'}`;
        throw new Error(`${config.file}: ${at}: "${select}" cannot be read as a SELECT: ${error.message}`, { cause: error });
      }
      const definition: JobDefinition = {
        name: `${source.id}_${collection.name}`,
        type: 'Sync',
        enabled: true,
        sourceConnectionId: sourceConnectionId(source.id),
        destinationConnectionId: destinationConnectionId(source.destinations[0]),
        schedule: collection.schedule ? { enabled: true, cron: collection.schedule, timezone: 'UTC' } : DEFAULT_SCHEDULE,
        settings: { ...DEFAULT_SETTINGS, log_retention_runs: LOG_RETENTION_RUNS },
      };
      const tasks = source.destinations.map((destination) => ({
        id: deterministicUuid(`${jobId}:${destination}`),
        query,
        isActive: true,
        incrementalColumn: null,
        destinationConnectionId: destinationConnectionId(destination),
      }));
      return { jobId, definition, tasks };
    }),
  );
}

/** The declared pair whose job is named `<source>_<collection>` (the prefix of its Jitsu task ids). */
export function pairNamed(config: DeclaredConfig | undefined, name: string): { source: string; collection: string; jobId: string } | undefined {
  for (const source of Object.values(config?.sources ?? {})) {
    const collection = source.collections.find((c) => `${source.id}_${c.name}` === name);
    if (collection) return { source: source.id, collection: collection.name, jobId: pairJobId(source.id, collection.name) };
  }
  return undefined;
}

/** The job of a pair the file declares, or what is unknown: the source, or the collection in it. */
export function declaredPair(config: DeclaredConfig | undefined, source: string, collection?: string): { jobIds: string[] } | { unknown: 'source' | 'collection' } {
  const declared = config?.sources[source];
  if (!declared || !Object.hasOwn(config.sources, source)) return { unknown: 'source' };
  const collections = collection === undefined ? declared.collections : declared.collections.filter((c) => c.name === collection);
  if (!collections.length && collection !== undefined) return { unknown: 'collection' };
  return { jobIds: collections.map((c) => pairJobId(source, c.name)) };
}
