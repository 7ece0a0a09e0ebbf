import type { ConnectionSettings } from '../../connections/connection.decider.js';
import { ConnectorError } from './connector.js';

/** How long a connector waits for the store; set per connection in its settings (milliseconds, 0 = no limit). */
export interface ConnectorLimits {
  /** connect_timeout_ms: opening a session (TCP, TLS, login). */
  connectTimeoutMs: number;
  /** statement_timeout_ms: one statement (one batch of a cursor) on the server; PostgreSQL also enforces it itself. */
  statementTimeoutMs: number;
  /** read_timeout_ms: the longest wait for the next batch or answer from a server or a file. */
  readTimeoutMs: number;
}

export const LIMIT_DEFAULTS = { connect_timeout_ms: 30_000, statement_timeout_ms: 0, read_timeout_ms: 300_000 } as const;

export function connectorLimits(settings: ConnectionSettings = {}): ConnectorLimits {
  const ms = (key: keyof typeof LIMIT_DEFAULTS) => {
    const value = Number(settings[key] ?? LIMIT_DEFAULTS[key]);
    return Number.isFinite(value) && value >= 0 ? value : LIMIT_DEFAULTS[key];
  };
  return { connectTimeoutMs: ms('connect_timeout_ms'), statementTimeoutMs: ms('statement_timeout_ms'), readTimeoutMs: ms('read_timeout_ms') };
}

/** Work given up because the run was cancelled or Sluice shut down; `reason` says which. */
export class Interrupted extends Error {
  constructor(readonly reason: unknown) {
    super(`Interrupted: ${String(reason)}`);
    this.name = 'Interrupted';
  }
}

/**
 * Settles as `work` does, unless `ms` pass first (then `onExpiry` runs and it rejects with a ConnectorError
 * saying `what` took too long) or `signal` aborts first (then it rejects with Interrupted). A `work` that
 * settles later is ignored.
 */
export function bounded<T>(work: Promise<T>, limit: { ms: number; what: string; onExpiry?: () => void }, signal?: AbortSignal): Promise<T> {
  if (!limit.ms && !signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => settle(() => reject(new Interrupted(signal!.reason)));
    const timer = limit.ms
      ? setTimeout(() => {
          limit.onExpiry?.();
          settle(() => reject(new ConnectorError(limit.what)));
        }, limit.ms)
      : undefined;
    const settle = (done: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      done();
    };
    // Handled before anything else: work given up (an aborted signal) may still fail later, and must not go unhandled.
    work.then(
      (value) => settle(() => resolve(value)),
      (error) => settle(() => reject(error)),
    );
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
