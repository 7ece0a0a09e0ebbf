import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { type Keyring, keyring } from '../core/secrets.js';
import { type DeclaredConfig, loadConfigFile } from './config-file.js';

export interface Settings {
  port: number;
  dataDir: string;
  /** esdb://… to use EventStoreDB; unset: the embedded SQLite log in dataDir. */
  eventStoreUrl?: string;
  /** mongodb://… to use MongoDB; unset: embedded SQLite read models in dataDir. */
  mongoUrl?: string;
  /** How many runs execute at once in this process (SLUICE_WORKERS). */
  workers: number;
  /** How often the worker looks for queued runs no event told it of: runs queued through another instance (SLUICE_WORKER_POLL_MS). */
  workerPollMs: number;
  /** How long shutdown waits for running runs before interrupting them (SLUICE_SHUTDOWN_GRACE_MS). */
  shutdownGraceMs: number;
  /** Largest request body read, in KB (SLUICE_MAX_BODY_KB); larger ones answer 413. */
  maxBodyKb: number;
  /** Largest uploaded file (a data sync's CSV), in MB (SLUICE_MAX_UPLOAD_MB); larger ones answer 413 and nothing is stored. */
  maxUploadMb: number;
  adminToken: string;
  /** True when the token was generated at this start (then start-up says where it is kept). */
  adminTokenGenerated: boolean;
  /** Signs the JWTs of the Etlworks dialect: SLUICE_JWT_SECRET, or one generated into <dataDir>/jwt-secret. */
  jwtSecret: string;
  /** SLUICE_JWT_TTL: how many seconds a JWT is good for after it is issued (Etlworks: about 10 minutes). */
  jwtTtlSeconds: number;
  /** Keys that seal connection secrets: SLUICE_SECRET_KEY (or <dataDir>/secret-key) and SLUICE_SECRET_KEYS_OLD. */
  secretKeys: Keyring;
  /** Where the current secret key comes from: SLUICE_SECRET_KEY, or the file it was generated into. */
  secretKeySource: string;
  /** SLUICE_CONNECTION_ROOTS: directories connection paths must lie under; empty means anywhere but the data dir. */
  connectionRoots: string[];
  /** SLUICE_ADMIN_PASSWORD: when set, the user `admin` (Administrator) is created or updated with it at start. */
  adminPassword?: string;
  /** SLUICE_AUTH_LOG_DAYS: how long sign-in records are kept. */
  authLogDays: number;
  /** SLUICE_TRUST_PROXY: which proxies' X-Forwarded-For names the client (Express `trust proxy`); unset: none. */
  trustProxy?: boolean | number | string;
  /** SLUICE_SSE_KEEPALIVE_MS: how long a live tail may stay silent before a `: keep-alive` comment is sent. */
  sseKeepAliveMs: number;
  /** SLUICE_LOG_RETENTION_DAYS: log lines older than this leave the read model (the events stay); unset: kept forever. */
  logRetentionDays?: number;
  /** The config file (SLUICE_CONFIG, or ./sluice.yaml when present): Jitsu-style sources, destinations and collections. */
  declared?: DeclaredConfig;
}

/** What opening a connection needs besides its settings: the keys to reveal secrets and where paths may point. */
export type ConnectionAccess = Pick<Settings, 'dataDir' | 'secretKeys' | 'connectionRoots'>;

export const SETTINGS = Symbol('Settings');

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const dataDir = writableDir(resolve(env.SLUICE_DATA_DIR || './data'));
  const port = wholeNumber(env, 'PORT', 3000, 0, 65535);
  const workers = wholeNumber(env, 'SLUICE_WORKERS', 2, 0);
  const shutdownGraceMs = wholeNumber(env, 'SLUICE_SHUTDOWN_GRACE_MS', 10_000, 0);
  const maxBodyKb = wholeNumber(env, 'SLUICE_MAX_BODY_KB', 1024, 1);
  return {
    port,
    workers,
    shutdownGraceMs,
    workerPollMs: wholeNumber(env, 'SLUICE_WORKER_POLL_MS', 250, 10),
    maxBodyKb,
    maxUploadMb: wholeNumber(env, 'SLUICE_MAX_UPLOAD_MB', 512, 1),
    dataDir,
    eventStoreUrl: env.SLUICE_EVENTSTORE_URL || undefined,
    mongoUrl: env.SLUICE_MONGODB_URL || undefined,
    ...adminToken(env.SLUICE_ADMIN_TOKEN, dataDir),
    jwtSecret: jwtSecret(env.SLUICE_JWT_SECRET, dataDir),
    jwtTtlSeconds: wholeNumber(env, 'SLUICE_JWT_TTL', 600, 1, 86_400),
    ...secretKeys(env, dataDir),
    adminPassword: env.SLUICE_ADMIN_PASSWORD || undefined,
    authLogDays: wholeNumber(env, 'SLUICE_AUTH_LOG_DAYS', 90, 1),
    trustProxy: trustProxy(env.SLUICE_TRUST_PROXY),
    connectionRoots: (env.SLUICE_CONNECTION_ROOTS ?? '').split(delimiter).filter(Boolean).map((root) => resolve(root)),
    sseKeepAliveMs: wholeNumber(env, 'SLUICE_SSE_KEEPALIVE_MS', 15_000, 100),
    logRetentionDays: env.SLUICE_LOG_RETENTION_DAYS ? wholeNumber(env, 'SLUICE_LOG_RETENTION_DAYS', 0, 1) : undefined,
    declared: loadConfigFile(env),
  };
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(env[name] || fallback);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, not "${env[name]}"`);
  return value;
}

/**
 * SLUICE_SECRET_KEY (base64 of 32 random bytes) seals new secrets; SLUICE_SECRET_KEYS_OLD (comma-separated,
 * same format) still opens secrets sealed before a rotation. Without SLUICE_SECRET_KEY, a key is generated
 * at the first start into <dataDir>/secret-key (mode 0600) and read from there afterwards.
 */
function secretKeys(env: NodeJS.ProcessEnv, dataDir: string): { secretKeys: Keyring; secretKeySource: string } {
  const decode = (text: string, name: string) => {
    const key = Buffer.from(text.trim(), 'base64');
    if (key.length !== 32) throw new Error(`${name} must be the base64 of 32 bytes (e.g. openssl rand -base64 32); it decodes to ${key.length} bytes`);
    return key;
  };
  const old = (env.SLUICE_SECRET_KEYS_OLD ?? '').split(',').filter((k) => k.trim()).map((k) => decode(k, 'SLUICE_SECRET_KEYS_OLD'));
  if (env.SLUICE_SECRET_KEY) return { secretKeys: keyring(decode(env.SLUICE_SECRET_KEY, 'SLUICE_SECRET_KEY'), old), secretKeySource: 'SLUICE_SECRET_KEY' };
  const file = join(dataDir, 'secret-key');
  if (!existsSync(file)) createOnce(file, `${randomBytes(32).toString('base64')}\n`);
  return { secretKeys: keyring(decode(readFileSync(file, 'utf8'), file), old), secretKeySource: file };
}

/**
 * Writes a file whole or not at all, and only if it does not exist yet: written beside it, then linked into
 * place. Another instance that linked first wins, and its content is kept.
 */
function createOnce(file: string, content: string): boolean {
  const draft = `${file}.${process.pid}.draft`;
  try {
    writeFileSync(draft, content, { mode: 0o600 });
    linkSync(draft, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    rmSync(draft, { force: true });
  }
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
  if (fromEnv?.trim()) return { adminToken: fromEnv, adminTokenGenerated: false };
  const file = join(dataDir, 'admin-token');
  const generated = !existsSync(file) && createOnce(file, `${randomBytes(24).toString('base64url')}\n`);
  const token = readFileSync(file, 'utf8').trim();
  // An empty token would let an empty credential through: refuse to start instead.
  if (!token) throw new Error(`${file} is empty: delete it to have a new admin token generated, or set SLUICE_ADMIN_TOKEN`);
  return { adminToken: token, adminTokenGenerated: generated };
}

/** The JWT signing key: SLUICE_JWT_SECRET, or 32 random bytes generated at the first start and kept in the data dir. */
function jwtSecret(fromEnv: string | undefined, dataDir: string): string {
  const secret = fromEnv?.trim() || undefined;
  const file = join(dataDir, 'jwt-secret');
  if (!secret && !existsSync(file)) createOnce(file, `${randomBytes(32).toString('base64url')}\n`);
  const key = secret ?? readFileSync(file, 'utf8').trim();
  // HS256 is only as strong as its key: a short one could be guessed offline from any token.
  if (key.length < 32) throw new Error(`${secret ? 'SLUICE_JWT_SECRET' : file} must be at least 32 characters long (e.g. openssl rand -base64 32)`);
  return key;
}

/** `true`, a hop count, or addresses and subnets (`loopback, 10.0.0.0/8`), as Express's `trust proxy` takes them. */
function trustProxy(value: string | undefined): boolean | number | string | undefined {
  if (!value) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}
