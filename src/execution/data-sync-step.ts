import type { ConnectionAccess } from '../config/settings.js';
import type { ConnectionKind, ConnectionSettings } from '../connections/connection.decider.js';
import type { FileStore } from '../core/file-store.js';
import type { RunSession } from './run-session.js';
import type { RunStop, Task } from './run-step.js';

export interface DataSyncTarget {
  kind: 'Import' | 'Delete' | 'Export';
  /** The data sync's connection: the destination of an import or delete, the source of an export. */
  connection: { kind: ConnectionKind; settings: ConnectionSettings };
  /** Import and Delete: the uploaded CSV in the file store. */
  file?: string;
}

/** Runs a data sync's one task (being built: see the README's data syncs section); answers its error message when it failed. */
export async function runDataSyncStep(
  _session: RunSession,
  _task: Task,
  _index: number,
  _target: DataSyncTarget,
  _stop: RunStop,
  _access: ConnectionAccess,
  _files: FileStore,
): Promise<string | undefined> {
  return 'Data sync launches are not implemented yet';
}
