import type { StepMetrics } from '../runs/run.decider.js';

const PROGRESS_EVERY_MS = 1000;

/** A data sync's progress, reported at most once a second while rows move and once at the end, like a replication's. */
export function progressMeter(report: (metrics: StepMetrics) => Promise<void>) {
  const latency = { min: Infinity, max: 0, total: 0, batches: 0 };
  let processed = 0;
  let since = 0;
  let lastId: unknown = null;
  let lastReport = Date.now();
  const send = async () => {
    const round = (n: number) => Math.round(n * 100) / 100;
    const latencyMs = { min: round(latency.min), max: round(latency.max), avg: round(latency.total / latency.batches) };
    await report({ rowsProcessed: processed, sinceLastCheck: since, latencyMs, lastId });
    lastReport = Date.now();
    since = 0;
  };
  return {
    /** A batch of `rows` rows took `ms`; `last` identifies its last row. */
    async batch(rows: number, ms: number, last: unknown): Promise<void> {
      processed += rows;
      since += rows;
      lastId = last ?? null;
      latency.min = Math.min(latency.min, ms);
      latency.max = Math.max(latency.max, ms);
      latency.total += ms;
      latency.batches++;
      if (Date.now() - lastReport >= PROGRESS_EVERY_MS) await send();
    },
    async end(): Promise<void> {
      if (latency.batches) await send();
    },
  };
}

/**
 * Lets the event loop run between two batches: a source that parses from memory and a synchronous destination
 * (better-sqlite3) would otherwise chain batches on microtasks alone, and every HTTP request would wait for the run.
 */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
