import type { ConnectionAccess } from '../config/settings.js';
import type { EventStore } from '../core/event-store.js';
import { maskSecrets } from '../core/secrets.js';
import { type CommandContext, loadState } from '../core/write-path.js';
import { connectionDecider, connectionStream } from '../connections/connection.decider.js';
import { endRun } from '../runs/runs.commands.js';
import type { RunPlan } from '../runs/run.decider.js';
import type { Connector } from './connectors/connector.js';
import { openConnector } from './connectors/open-connector.js';
import { replicateTask } from './replicate-task.js';
import type { RunSession } from './run-session.js';
import { parseTaskQuery } from '../jobs/task-query.js';

type Task = RunPlan['tasks'][number];

/**
 * Executes a claimed run: every task in order (or up to Worker_Pool at once with parallel processing),
 * with a log line at the start, per task, on every failure and at the end, then frees the job.
 */
export async function executeRun(store: EventStore, session: RunSession, ctx: CommandContext, shuttingDown: () => boolean, access: ConnectionAccess): Promise<void> {
  const plan = session.plan;
  const started = Date.now();
  const seconds = () => ((Date.now() - started) / 1000).toFixed(2);
  let stopped: 'cancelled' | 'shutdown' | null = null;
  const shouldStop = async () => {
    if (shuttingDown()) stopped = 'shutdown';
    else if (await session.cancelRequested()) stopped = 'cancelled';
    return stopped !== null;
  };
  const failures: string[] = [];
  await session.log('info', `Run of job "${plan.jobName}" started (${plan.trigger}${plan.slot ? ` slot ${plan.slot}` : ''}, requested by ${plan.requestedBy}) with ${plan.tasks.length} task(s)`);
  try {
    const source = await connection(store, plan.sourceConnectionId, 'source');
    const destination = await connection(store, plan.destinationConnectionId, 'destination');
    const runTask = async (task: Task, index: number) => {
      if (stopped || (failures.length && !plan.settings.continue_on_error)) return;
      // Each task has its own connectors, so parallel tasks never share a database connection.
      const opened: Connector[] = [];
      try {
        opened.push(openConnector(source.kind, source.settings, 'source', access));
        opened.push(openConnector(destination.kind, destination.settings, 'destination', access));
        const failure = await runStep(session, task, index, opened[0], opened[1], shouldStop);
        if (failure) failures.push(failure);
      } catch (error) {
        const message = maskSecrets(`Task ${index + 1} could not open its connections: ${(error as Error).message}`);
        failures.push(message);
        await session.log('error', message, task.taskId);
      } finally {
        await Promise.allSettled(opened.map((c) => c.close()));
      }
    };
    const parallel = plan.settings.enable_parallel_processing ? Math.max(1, plan.settings.worker_pool ?? 2) : 1;
    await inParallel(plan.tasks, parallel, runTask);
  } catch (error) {
    failures.push((error as Error).message);
    await session.log('error', (error as Error).message);
  }
  if (stopped === 'cancelled') {
    await session.log('warn', `CANCELLED after [${seconds()}] seconds`);
    await session.finish('cancelled');
  } else if (stopped === 'shutdown') {
    await session.log('error', `STOPPED after [${seconds()}] seconds: Sluice shut down during the run`);
    await session.finish('failed', 'Sluice shut down during the run');
  } else if (failures.length) {
    await session.log('error', `FINISHED WITH ERRORS in [${seconds()}] seconds: ${failures.join('; ')}`);
    await session.finish('failed', failures.join('; '));
  } else {
    await session.log('info', `FINISHED SUCCESSFULLY in [${seconds()}] seconds`);
    await session.finish('succeeded');
  }
  const status = stopped === 'cancelled' ? 'cancelled' : stopped || failures.length ? 'failed' : 'succeeded';
  await endRun(store, plan.jobId, plan.runId, status, session.watermarks, ctx);
}

/** Runs one task; answers its error message when it failed. */
async function runStep(session: RunSession, task: Task, index: number, source: Connector, destination: Connector, shouldStop: () => Promise<boolean>) {
  const { runId } = session;
  const { taskId } = task;
  const started = Date.now();
  let tables = { source: '?', destination: '?' };
  const tally = { rowsRead: 0, rowsWritten: 0 };
  try {
    const outcome = await replicateTask({
      source,
      destination,
      query: parseTaskQuery(task.query),
      settings: session.plan.settings,
      incrementalColumn: task.incrementalColumn,
      watermark: task.watermark,
      shouldStop,
      tally,
      onStart: async (from, to) => {
        tables = { source: from, destination: to };
        await session.record([{ type: 'StepStarted', data: { runId, taskId, source: from, destination: to } }]);
        const since = task.incrementalColumn ? ` (incremental on ${task.incrementalColumn}, above ${JSON.stringify(task.watermark)})` : '';
        await session.log('info', `Task ${index + 1}: replicating [${from}] into [${to}]${since}`, taskId);
      },
      onProgress: async (metrics) => {
        await session.record([{ type: 'StepProgress', data: { runId, taskId, ...metrics } }]);
      },
    });
    const durationMs = Date.now() - started;
    await session.record([
      {
        type: 'StepCompleted',
        data: { runId, taskId, rowsRead: outcome.rowsRead, rowsWritten: outcome.rowsWritten, watermark: outcome.watermark, durationMs },
      },
    ]);
    const stop = outcome.cancelled ? ' (stopped early: cancel requested)' : '';
    await session.log('info', `Task ${index + 1}: read ${outcome.rowsRead} rows from [${outcome.source}], wrote ${outcome.rowsWritten} rows to [${outcome.destination}] in [${(durationMs / 1000).toFixed(2)}] seconds${stop}`, taskId);
    return undefined;
  } catch (error) {
    const message = maskSecrets(`Task ${index + 1} ([${tables.source}] into [${tables.destination}]) failed: ${(error as Error).message}`);
    await session.record([{ type: 'StepFailed', data: { runId, taskId, error: message, ...tally, durationMs: Date.now() - started } }]);
    await session.log('error', message, taskId);
    return message;
  }
}

async function connection(store: EventStore, connectionId: string | null, role: 'source' | 'destination') {
  if (!connectionId) throw new Error(`The job has no ${role} connection; set ${role}_connection_id`);
  const { state } = await loadState(store, connectionStream(connectionId), connectionDecider);
  if (state.status !== 'active') throw new Error(`The ${role} connection ${connectionId} no longer exists`);
  return state;
}

async function inParallel<T>(items: T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  });
  await Promise.all(lanes);
}
