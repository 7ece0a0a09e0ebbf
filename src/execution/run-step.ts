import type { ConnectionAccess } from '../config/settings.js';
import { maskSecrets } from '../core/secrets.js';
import { parseTaskQuery } from '../jobs/task-query.js';
import type { RunPlan } from '../runs/run.decider.js';
import type { Connector } from './connectors/connector.js';
import { openStore, type Store } from './connectors/open-connector.js';
import { replicateTask } from './replicate-task.js';
import type { RunSession } from './run-session.js';

export type Task = RunPlan['tasks'][number];
export type StopReason = 'cancelled' | 'shutdown';

/** How a run tells its tasks to stop: at the next batch boundary once `reason()` is set, at once when `signal` aborts. */
export interface RunStop {
  reason(): StopReason | null;
  signal: AbortSignal;
}

const STOPPED_BY: Record<StopReason, string> = { cancelled: 'cancel requested', shutdown: 'Sluice shut down' };

/**
 * Runs one task on connectors of its own (parallel tasks never share a database session). Records how it
 * ended: completed, cancelled (stopped by a cancel or a shutdown, with its rows so far) or failed. Answers
 * its error message when it failed.
 */
export async function runStep(session: RunSession, task: Task, index: number, stores: { source: Store; destination: Store }, stop: RunStop, access: ConnectionAccess) {
  const { runId } = session;
  const { taskId } = task;
  const started = Date.now();
  const seconds = () => ((Date.now() - started) / 1000).toFixed(2);
  let tables = describe(task);
  const tally = { rowsRead: 0, rowsWritten: 0, watermark: task.watermark ?? null };
  const opened: Connector[] = [];
  const interrupt = () => opened.forEach((c) => c.interrupt());
  stop.signal.addEventListener('abort', interrupt, { once: true });
  const stopped = async () => {
    const reason = STOPPED_BY[stop.reason() ?? 'cancelled'];
    await session.record([{ type: 'StepCancelled', data: { runId, taskId, reason, ...tally, durationMs: Date.now() - started } }]);
    const rows = `${tally.rowsRead} rows read, ${tally.rowsWritten} written`;
    await session.log('warn', `Task ${index + 1} (${tables}): stopped (${reason}) after [${seconds()}] seconds with ${rows}`, taskId);
  };
  try {
    opened.push(openStore(stores.source, 'source', access));
    opened.push(openStore(stores.destination, 'destination', access));
    const outcome = await replicateTask({
      source: opened[0],
      destination: opened[1],
      query: parseTaskQuery(task.query),
      settings: session.plan.settings,
      incrementalColumn: task.incrementalColumn,
      watermark: task.watermark,
      sourceQuery: task.sourceQuery,
      keyColumns: task.keyColumns,
      shouldStop: () => stop.reason() !== null,
      signal: stop.signal,
      tally,
      onStart: async (from, to) => {
        tables = `[${from}] into [${to}]`;
        await session.record([{ type: 'StepStarted', data: { runId, taskId, source: from, destination: to } }]);
        const since = task.incrementalColumn ? ` (incremental on ${task.incrementalColumn}, above ${JSON.stringify(task.watermark)})` : '';
        await session.log('info', `Task ${index + 1}: replicating ${tables}${since}`, taskId);
      },
      onProgress: async (metrics) => {
        await session.record([{ type: 'StepProgress', data: { runId, taskId, ...metrics } }]);
      },
    });
    if (outcome.cancelled) return void (await stopped());
    const durationMs = Date.now() - started;
    const { rowsRead, rowsWritten, watermark } = outcome;
    await session.record([{ type: 'StepCompleted', data: { runId, taskId, rowsRead, rowsWritten, watermark, durationMs } }]);
    await session.log('info', `Task ${index + 1}: read ${rowsRead} rows from [${outcome.source}], wrote ${rowsWritten} rows to [${outcome.destination}] in [${seconds()}] seconds`, taskId);
    return undefined;
  } catch (error) {
    // Interrupted, or failing because its connectors were interrupted: the stop is what happened.
    if (stop.signal.aborted) return void (await stopped());
    const message = maskSecrets(`Task ${index + 1} (${tables}) failed: ${(error as Error).message}`);
    const { rowsRead, rowsWritten } = tally;
    await session.record([{ type: 'StepFailed', data: { runId, taskId, error: message, rowsRead, rowsWritten, durationMs: Date.now() - started } }]);
    await session.log('error', message, taskId);
    return message;
  } finally {
    stop.signal.removeEventListener('abort', interrupt);
    await Promise.allSettled(opened.map((c) => c.close()));
  }
}

/** The task's tables as its query names them, for messages written before the task starts. */
function describe({ query, sourceQuery }: Task): string {
  try {
    const q = parseTaskQuery(query);
    return `[${sourceQuery ? 'datasource query' : q.source}] into [${q.destination}]`;
  } catch {
    return `"${query}"`;
  }
}
