import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  /** Largest request body read, in KB (SLUICE_MAX_BODY_KB); larger ones answer 413. */
  maxBodyKb: number;
  adminToken: string;
  /** True when the token was generated at this start (then it is printed once). */
  adminTokenGenerated: boolean;
}

export const SETTINGS = Symbol('Settings');

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const dataDir = resolve(env.SLUICE_DATA_DIR || './data');
  mkdirSync(dataDir, { recursive: true });
  const port = Number(env.PORT || 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not "${env.PORT}"`);
  const workers = Number(env.SLUICE_WORKERS || 2);
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`SLUICE_WORKERS must be a whole number, not "${env.SLUICE_WORKERS}"`);
  const maxBodyKb = Number(env.SLUICE_MAX_BODY_KB || 1024);
  if (!Number.isInteger(maxBodyKb) || maxBodyKb < 1) throw new Error(`SLUICE_MAX_BODY_KB must be a whole number of KB, not "${env.SLUICE_MAX_BODY_KB}"`);
  return {
    port,
    workers,
    maxBodyKb,
    dataDir,
    eventStoreUrl: env.SLUICE_EVENTSTORE_URL || undefined,
    mongoUrl: env.SLUICE_MONGODB_URL || undefined,
    ...adminToken(env.SLUICE_ADMIN_TOKEN, dataDir),
  };
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
