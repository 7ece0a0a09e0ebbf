import type { ConnectionAccess } from '../config/settings.js';
import type { EventStore } from '../core/event-store.js';
import { maskSecrets } from '../core/secrets.js';
import { type CommandContext, loadState } from '../core/write-path.js';
import { connectionDecider, connectionStream } from '../connections/connection.decider.js';
import { endRun } from '../runs/runs.commands.js';
import { CANCELED } from '../runs/run.decider.js';
import type { RunSession } from './run-session.js';
import { runStep, type RunStop, type StopReason, type Task } from './run-step.js';
import { runDataSyncStep } from './data-sync-step.js';
import type { FileStore } from '../core/file-store.js';
import { embeddedTarget, type Store } from './connectors/open-connector.js';

/** How often a running run looks for a cancel request, so a batch in flight is interrupted promptly. */
const CANCEL_POLL_MS = 250;

export interface RunControls {
  /** True once Sluice is shutting down: tasks stop at their next batch boundary. */
  shuttingDown: () => boolean;
  /** Aborted, with the reason, when the shutdown grace runs out: the batch in flight is interrupted. */
  interrupt: AbortSignal;
}

/**
 * Executes a claimed run: every task in order (or up to Worker_Pool at once with parallel processing),
 * with a log line at the start, per task, on every failure and at the end, then frees the job.
 * A cancel request or the end of the shutdown grace interrupts the batch in flight.
 */
export async function executeRun(store: EventStore, session: RunSession, ctx: CommandContext, controls: RunControls, access: ConnectionAccess, files: FileStore): Promise<void> {
  const plan = session.plan;
  const started = Date.now();
  const seconds = () => ((Date.now() - started) / 1000).toFixed(2);
  await session.log('info', `Run of job "${plan.jobName}" started (${plan.trigger}${plan.slot ? ` slot ${plan.slot}` : ''}, requested by ${plan.requestedBy}) with ${plan.tasks.length} task(s)`);
  const halt = new AbortController();
  const stop: RunStop = {
    signal: halt.signal,
    reason: () => (halt.signal.aborted ? (halt.signal.reason as StopReason) : controls.shuttingDown() ? 'shutdown' : null),
  };
  const interrupt = () => halt.abort('shutdown');
  controls.interrupt.addEventListener('abort', interrupt, { once: true });
  if (controls.interrupt.aborted) interrupt();
  const watcher = setInterval(() => {
    session.cancelRequested().then(
      (cancelled) => cancelled && halt.abort('cancelled'),
      () => undefined,
    );
  }, CANCEL_POLL_MS);

  const failures: string[] = [];
  // A data sync's import or delete reads an uploaded file, its export writes one: no connection on that side.
  const dataSync = plan.type === 'Import' || plan.type === 'Delete' || plan.type === 'Export' ? plan.type : undefined;
  // Data sync steps whose work is done for good (rows committed, file written): no stop can undo them.
  let committed = 0;
  try {
    const source = dataSync === 'Import' || dataSync === 'Delete' ? undefined : await connection(store, plan.sourceConnectionId, 'source');
    const destinations = new Map<string, Store>();
    for (const id of dataSync === 'Export' ? [] : new Set(plan.tasks.map((t) => t.destinationConnectionId ?? plan.destinationConnectionId))) {
      // A Siren ingestion without a target_datasource loads into Sluice's own SQLite file.
      const embedded = plan.type === 'Ingestion' && !id;
      destinations.set(String(id), embedded ? { embedded: embeddedTarget(access.dataDir) } : await connection(store, id ?? null, 'destination'));
    }
    const runTask = async (task: Task, index: number) => {
      // Tasks left out here are never started: the run shows them as skipped.
      if (stop.reason() || (failures.length && !plan.settings.continue_on_error)) return;
      const destination = destinations.get(String(task.destinationConnectionId ?? plan.destinationConnectionId))!;
      const failure = dataSync
        ? await runDataSyncStep(session, task, index, { kind: dataSync, connection: dataSync === 'Export' ? source! : destination, file: plan.file, onCommitted: () => void committed++ }, stop, access, files)
        : await runStep(session, task, index, { source: source!, destination }, stop, access);
      if (failure) failures.push(failure);
    };
    const parallel = plan.settings.enable_parallel_processing ? Math.max(1, plan.settings.worker_pool ?? 2) : 1;
    await inParallel(plan.tasks, parallel, runTask);
  } catch (error) {
    const message = maskSecrets((error as Error).message);
    failures.push(message);
    // Best effort: when the store itself is failing (a full disk), finishing the run below matters more.
    await session.log('error', message).catch(() => undefined);
  } finally {
    clearInterval(watcher);
    controls.interrupt.removeEventListener('abort', interrupt);
  }

  // A data sync is all or nothing: once every step's work is done, a cancel or a shutdown seen after it came too
  // late, and the run ends as its steps did (succeeded, with the rows applied), not cancelled.
  const tooLate = dataSync !== undefined && plan.tasks.length > 0 && committed === plan.tasks.length ? stop.reason() : null;
  if (tooLate) await session.log('warn', `${tooLate === 'cancelled' ? 'Cancel requested' : 'Sluice shutting down'} after the data sync's work was done: it is kept`);
  const stopped = tooLate ? null : stop.reason();
  if (stopped === 'cancelled') {
    await session.log('warn', CANCELED);
    await session.finish('cancelled');
  } else if (stopped === 'shutdown') {
    const why = controls.interrupt.aborted ? String(controls.interrupt.reason) : 'Sluice shut down during the run';
    await session.log('error', `STOPPED after [${seconds()}] seconds: ${why}`);
    await session.finish('failed', why);
  } else if (failures.length) {
    await session.log('error', `FINISHED WITH ERRORS in [${seconds()}] seconds: ${failures.join('; ')}`);
    await session.finish('failed', failures.join('; '));
  } else {
    const elapsed = (Date.now() - started) / 1000;
    await session.log('info', `FINISHED SUCCESSFULLY in [${elapsed.toFixed(2)}] seconds (~ ${(elapsed / 60).toFixed(2)} minutes)`);
    await session.finish('succeeded');
  }
  await endRun(store, plan.jobId, plan.runId, session.status, session.watermarks, ctx);
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
