import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface Settings {
  port: number;
  dataDir: string;
  /** esdb://… to use EventStoreDB; unset: the embedded SQLite log in dataDir. */
  eventStoreUrl?: string;
  /** mongodb://… to use MongoDB; unset: embedded SQLite read models in dataDir. */
  mongoUrl?: string;
  /** How many runs execute at once in this process (SLUICE_WORKERS). */
  workers: number;
  adminToken: string;
  /** True when the token was generated at this start (then it is printed once). */
  adminTokenGenerated: boolean;
}

export const SETTINGS = Symbol('Settings');

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const dataDir = writableDir(resolve(env.SLUICE_DATA_DIR || './data'));
  const port = Number(env.PORT || 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not "${env.PORT}"`);
  const workers = Number(env.SLUICE_WORKERS || 2);
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`SLUICE_WORKERS must be a whole number, not "${env.SLUICE_WORKERS}"`);
  return {
    port,
    workers,
    dataDir,
    eventStoreUrl: env.SLUICE_EVENTSTORE_URL || undefined,
    mongoUrl: env.SLUICE_MONGODB_URL || undefined,
    ...adminToken(env.SLUICE_ADMIN_TOKEN, dataDir),
  };
}

/** The data dir, created if need be; start-up stops here, naming it, when it cannot be written. */
function writableDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true });
    // An empty file: creating one works on a full disk (which Sluice survives) but not on a read-only one.
    const probe = join(dir, `.write-test-${process.pid}`);
    closeSync(openSync(probe, 'w'));
    rmSync(probe);
    return dir;
  } catch (error) {
    throw new Error(`The data dir ${dir} (SLUICE_DATA_DIR) cannot be written: ${(error as Error).message}`, { cause: error });
  }
}

/** SLUICE_ADMIN_TOKEN, or one generated at the first start and kept in the data dir. */
function adminToken(fromEnv: string | undefined, dataDir: string): { adminToken: string; adminTokenGenerated: boolean } {
  if (fromEnv) return { adminToken: fromEnv, adminTokenGenerated: false };
  const file = join(dataDir, 'admin-token');
  if (existsSync(file)) return { adminToken: readFileSync(file, 'utf8').trim(), adminTokenGenerated: false };
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { adminToken: token, adminTokenGenerated: true };
}
