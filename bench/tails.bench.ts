import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createApp } from '../src/app.js';
import { loadSettings } from '../src/config/settings.js';
import { EVENT_STORE, type EventStore } from '../src/core/event-store.js';
import type { Row } from './events.bench.js';

const CLIENTS = 200;
const LINES = 1000;
/** One line every 10 ms: 100 lines a second, 20,000 deliveries a second (a busy run logs a few a second). */
const EVERY_MS = 10;
const TOKEN = 'bench-token';

const now = () => performance.timeOrigin + performance.now();
const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - now())));

function percentile(sorted: number[], p: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 10) / 10;
}

/** Opens the clients, runs `produce` once they are all connected, and answers the delays they measured. */
async function measure(label: string, url: string, headers: Record<string, string>, produce: () => Promise<void>): Promise<{ p50: number; p99: number }> {
  const worker = new Worker(new URL('./tails-clients.js', import.meta.url), { workerData: { url, clients: CLIENTS, headers } });
  const messages: Array<{ connected?: number; delays?: number[] }> = [];
  let wake: (() => void) | undefined;
  worker.on('message', (m) => (messages.push(m), wake?.()));
  const next = () => new Promise<{ connected?: number; delays?: number[] }>((resolve, reject) => {
    if (messages.length) return resolve(messages.shift()!);
    worker.once('error', reject);
    wake = () => resolve(messages.shift()!);
  });
  await next();
  const started = now();
  await produce();
  const seconds = (now() - started) / 1000;
  const { delays } = await next();
  console.log(`  ${label}: ${LINES} lines appended in ${seconds.toFixed(1)} s (${Math.round(LINES / seconds)}/s) to ${CLIENTS} clients`);
  await worker.terminate();
  if (delays!.length !== CLIENTS * LINES) throw new Error(`${delays!.length} of ${CLIENTS * LINES} lines were delivered`);
  const sorted = delays!.sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** Sluice: the run's lines appended to the embedded log in-process (as its worker does), tailed over HTTP. */
async function throughSluice(): Promise<{ p50: number; p99: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-tails-'));
  const app = await createApp(loadSettings({ SLUICE_DATA_DIR: dir, SLUICE_ADMIN_TOKEN: TOKEN, SLUICE_WORKERS: '0' }), { logger: false });
  try {
    await app.listen(0, '127.0.0.1');
    const events = app.get<EventStore>(EVENT_STORE);
    const runId = randomUUID();
    const jobId = randomUUID();
    const append = (type: string, data: object) =>
      events.append(`run-${runId}`, [{ id: randomUUID(), type, data, metadata: { actor: 'bench', correlationId: runId, occurredAt: new Date().toISOString(), schemaVersion: 1 } }], 'any');
    await append('RunQueued', { runId, jobId, workspaceId: 'bench', jobName: 'busy', trigger: 'manual', requestedBy: 'bench', sourceConnectionId: null, destinationConnectionId: null, settings: {}, tasks: [] });
    const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/v1/runs/${runId}/logs/stream`;
    return await measure('Sluice', url, { 'x-cdata-authtoken': TOKEN }, async () => {
      const start = now();
      for (let i = 0; i < LINES; i++) {
        await sleepUntil(start + i * EVERY_MS);
        await append('RunLogged', { runId, jobId, level: 'info', message: `t=${now().toFixed(3)}` });
      }
      await append('RunFinished', { runId, status: 'succeeded', durationMs: LINES * EVERY_MS });
    });
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The ceiling: a bare node:http server writing each line straight to the same clients, with no log in between. */
async function bareFanOut(): Promise<{ p50: number; p99: number }> {
  const open = new Set<ServerResponse>();
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('\n');
    open.add(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    return await measure('bare node:http', url, {}, async () => {
      const start = now();
      for (let i = 0; i < LINES; i++) {
        await sleepUntil(start + i * EVERY_MS);
        const message = `id: ${i}\ndata: ${JSON.stringify({ at: new Date().toISOString(), level: 'info', message: `t=${now().toFixed(3)}`, task_id: null })}\n\n`;
        for (const res of open) res.write(message);
      }
      for (const res of open) res.end('event: end\ndata: {}\n\n');
    });
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

/** 200 SSE clients tailing one busy run: the delay from a line's append to its delivery, p50 and p99. */
export async function tailsBenchmark(): Promise<Row[]> {
  const sluice = await throughSluice();
  const ceiling = await bareFanOut();
  const name = (p: string) => `SSE tail, ${CLIENTS} clients, ${1000 / EVERY_MS} lines/s: append → delivery ${p}`;
  return [
    { benchmark: name('p50'), sluice: sluice.p50, ceiling: ceiling.p50, unit: 'ms' },
    { benchmark: name('p99'), sluice: sluice.p99, ceiling: ceiling.p99, unit: 'ms' },
  ];
}
