import type { ConnectionAccess } from '../config/settings.js';
import type { FileStore } from '../core/file-store.js';
import { maskSecrets } from '../core/secrets.js';
import { exportFile, tableOf } from '../datasyncs/datasync.model.js';
import type { StepMetrics } from '../runs/run.decider.js';
import type { Connector } from './connectors/connector.js';
import { openStore, type Store } from './connectors/open-connector.js';
import { exportCsv } from './csv-export.js';
import { importCsv } from './csv-import.js';
import type { RunSession } from './run-session.js';
import type { RunStop, StopReason, Task } from './run-step.js';

export interface DataSyncTarget {
  kind: 'Import' | 'Delete' | 'Export';
  /** The data sync's connection: the destination of an import or delete, the source of an export. */
  connection: Store;
  /** Import and Delete: the uploaded CSV in the file store. */
  file?: string;
  /**
   * Called once the rows are applied (the transaction committed) or the export's file is written: from then on
   * a cancel or a shutdown cannot undo the step, so the run must end as the step did.
   */
  onCommitted?: () => void;
}

const STOPPED_BY: Record<StopReason, string> = { cancelled: 'cancel requested', shutdown: 'Sluice shut down' };
const DEFAULT_BATCH = 1000;

/**
 * Runs a data sync's one task: imports or deletes by the uploaded CSV (all or nothing), or exports the table
 * to the file store. Records how it ended as runStep does; answers its error message when it failed.
 */
export async function runDataSyncStep(
  session: RunSession,
  task: Task,
  index: number,
  target: DataSyncTarget,
  stop: RunStop,
  access: ConnectionAccess,
  files: FileStore,
): Promise<string | undefined> {
  const { runId, plan } = session;
  const { taskId } = task;
  const started = Date.now();
  const seconds = () => ((Date.now() - started) / 1000).toFixed(2);
  // Anything but `REPLICATE [<table>]` is shown as it is, and found to be no table.
  const table = tableOf(task.query) ?? task.query;
  const tally = { rowsRead: 0, rowsWritten: 0 };
  let connector: Connector | undefined;
  let upload: (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
  // Set when the work is done for good (applyAll or the file store's put returned): a stop seen later is too late.
  let committed = false;
  const commit = () => {
    committed = true;
    target.onCommitted?.();
  };
  const interrupt = () => connector?.interrupt();
  stop.signal.addEventListener('abort', interrupt, { once: true });
  const stopped = async () => {
    const reason = STOPPED_BY[stop.reason() ?? 'cancelled'];
    await session.record([{ type: 'StepCancelled', data: { runId, taskId, reason, ...tally, watermark: null, durationMs: Date.now() - started } }]);
    const undone = target.kind === 'Export' ? 'no file was written' : 'nothing was changed';
    await session.log('warn', `Task ${index + 1} ([${table}]): stopped (${reason}) after [${seconds()}] seconds with ${tally.rowsRead} rows read; ${undone}`, taskId);
  };
  const begin = async (source: string, destination: string, what: string) => {
    await session.record([{ type: 'StepStarted', data: { runId, taskId, source, destination } }]);
    await session.log('info', `Task ${index + 1}: ${what}`, taskId);
  };
  const common = {
    table,
    batchSize: plan.settings.batch_size ?? DEFAULT_BATCH,
    shouldStop: () => stop.reason() !== null,
    signal: stop.signal,
    tally,
    onProgress: (metrics: StepMetrics) => session.record([{ type: 'StepProgress', data: { runId, taskId, ...metrics } }]),
  };
  try {
    let done: string;
    if (target.kind === 'Export') {
      const name = exportFile(plan.jobId, runId);
      connector = openStore(target.connection, 'source', access);
      const outcome = await exportCsv({
        ...common,
        connector,
        write: async (content) => {
          const written = await files.put(name, content, { contentType: 'text/csv' });
          commit();
          return written;
        },
        onStart: () => begin(table, name, `exporting [${table}] to ${name}`),
      });
      if (outcome.cancelled) return void (await stopped());
      done = `exported ${outcome.rowsWritten} rows from [${table}] in [${seconds()}] seconds`;
    } else {
      const file = target.file;
      const found = file ? await files.get(file) : null;
      if (!found) throw new Error(`The uploaded file ${file ?? '(none)'} is not in the file store`);
      upload = found.stream;
      // 'source': the table must already exist, so a missing database is not created empty.
      connector = openStore(target.connection, 'source', access);
      const deleting = target.kind === 'Delete';
      const outcome = await importCsv({
        ...common,
        connector: committing(connector, commit),
        content: upload,
        kind: target.kind,
        keyColumns: task.keyColumns ?? null,
        checkTypes: !('kind' in target.connection && target.connection.kind === 'csv'),
        onStart: (how) => begin(file!, table, deleting ? `deleting the rows of ${file} from [${table}] (${how})` : `importing ${file} into [${table}] (${how})`),
      });
      if (outcome.cancelled) return void (await stopped());
      done = deleting
        ? `deleted ${outcome.deleted} rows from [${table}] in [${seconds()}] seconds (${outcome.rowsRead} rows in the file)`
        : `imported ${outcome.rowsRead} rows into [${table}] in [${seconds()}] seconds (${outcome.updated} updated, ${outcome.inserted} inserted)`;
    }
    const { rowsRead, rowsWritten } = tally;
    await session.record([{ type: 'StepCompleted', data: { runId, taskId, rowsRead, rowsWritten, watermark: null, durationMs: Date.now() - started } }]);
    await session.log('info', `Task ${index + 1}: ${done}`, taskId);
    return undefined;
  } catch (error) {
    // Interrupted, or failing because its connector was interrupted: the stop is what happened (unless the
    // work was already done, when what failed came after it and "nothing was changed" would not be true).
    if (stop.signal.aborted && !committed) return void (await stopped());
    const message = maskSecrets(`Task ${index + 1} ([${table}]) failed: ${(error as Error).message}`);
    const { rowsRead, rowsWritten } = tally;
    await session.record([{ type: 'StepFailed', data: { runId, taskId, error: message, rowsRead, rowsWritten, durationMs: Date.now() - started } }]);
    await session.log('error', message, taskId);
    return message;
  } finally {
    stop.signal.removeEventListener('abort', interrupt);
    upload?.destroy?.();
    await connector?.close().catch(() => undefined);
  }
}

/** The connector, calling `done` once its applyAll has returned (its transaction committed). */
function committing(connector: Connector, done: () => void): Connector {
  return new Proxy(connector, {
    get(target, property) {
      if (property === 'applyAll') {
        return async (...args: Parameters<Connector['applyAll']>) => {
          const counts = await target.applyAll(...args);
          done();
          return counts;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

