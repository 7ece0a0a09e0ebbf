import { DomainError } from './errors.js';

type FaultCode = 'STORE.FULL' | 'STORE.READ_ONLY' | 'STORE.UNAVAILABLE';

/** A store that cannot write (a full disk, a read-only file system, an I/O error): 507 or 503, never a 500. */
export class StoreUnavailableError extends DomainError {
  constructor(
    code: FaultCode,
    readonly store: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(code, `The ${store} cannot write: ${reason} (${path})`);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * The fault behind an error thrown by a store's file: SQLite result codes (better-sqlite3's `code`) and
 * Node's errno codes. Anything else is not a fault of the store's disk.
 */
export function storeFault(error: unknown, store: string, path: string): StoreUnavailableError | undefined {
  if (error instanceof StoreUnavailableError) return error;
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const fault = (c: FaultCode, reason: string) => new StoreUnavailableError(c, store, path, reason);
  // SHMSIZE: WAL mode could not allocate its shared-memory index, which on a full disk is what opening fails with.
  if (['SQLITE_FULL', 'SQLITE_IOERR_SHMSIZE', 'ENOSPC', 'EDQUOT'].includes(code)) return fault('STORE.FULL', 'no space left on device');
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') return fault('STORE.READ_ONLY', 'the file system or file is read-only');
  if (code === 'EACCES' || code === 'EPERM' || code === 'SQLITE_PERM') return fault('STORE.READ_ONLY', 'permission denied');
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return fault('STORE.UNAVAILABLE', `an I/O error (${code})`);
  if (code.startsWith('SQLITE_CANTOPEN') || code === 'ENOTDIR' || code === 'ENOENT') return fault('STORE.UNAVAILABLE', `the file cannot be opened (${code})`);
  return undefined;
}

/**
 * Remembers a store's last write fault until a write succeeds, so health reports a store that cannot write
 * even between writes (a read-only or full store still answers reads).
 */
export class WriteFaults {
  fault?: StoreUnavailableError;

  constructor(
    private readonly store: string,
    private readonly path: string,
    private readonly onFault: (fault: StoreUnavailableError) => void = () => undefined,
  ) {}

  /** Runs a write; a fault of the disk is remembered and thrown as a StoreUnavailableError. */
  run<T>(write: () => T): T {
    try {
      const result = write();
      this.fault = undefined;
      return result;
    } catch (error) {
      const fault = storeFault(error, this.store, this.path);
      if (!fault) throw error;
      if (!this.fault) this.onFault(fault);
      this.fault = fault;
      throw fault;
    }
  }
}
