import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EVENT_STORE, type EventStore } from '../../src/core/event-store.js';
import type { RecordedEvent } from '../../src/core/events.js';
import { READ_STORE, type ReadStore } from '../../src/core/read-store.js';
import { INSTANCES } from '../../src/execution/recovery.js';
import { LiveLog } from '../../src/tails/live-log.js';
import { Harness, TOKEN } from './app.harness.js';
import { SseClient } from './sse-client.js';

const V2 = '/api.rsc/v2';
const AUTH = { 'x-cdata-authtoken': TOKEN };

/** A run written straight into the log, so the test decides when each line and the end are appended. */
class ScriptedRun {
  readonly runId = randomUUID();
  readonly jobId = randomUUID();
  private n = 0;

  constructor(private readonly events: EventStore) {}

  private append(type: string, data: object) {
    const metadata = { actor: 'worker:test', correlationId: this.runId, occurredAt: new Date().toISOString(), schemaVersion: 1 };
    return this.events.append(`run-${this.runId}`, [{ id: randomUUID(), type, data, metadata }], 'any');
  }

  async start(reads: ReadStore) {
    const owner = { instanceId: `tail-test-${this.runId}`, hostname: hostname(), pid: process.pid };
    // A heartbeat, so recovery takes the scripted run's worker for alive.
    await reads.write([{ collection: INSTANCES, op: 'upsert', doc: { id: owner.instanceId, ...owner, seenAt: new Date().toISOString() } }]);
    await this.append('RunQueued', {
      runId: this.runId, jobId: this.jobId, workspaceId: 'tails', jobName: 'scripted', trigger: 'manual', requestedBy: 'token:admin',
      sourceConnectionId: null, destinationConnectionId: null, settings: {}, tasks: [],
    });
    await this.append('RunStarted', { runId: this.runId, owner });
  }

  async log(count: number) {
    for (let i = 0; i < count; i++) await this.append('RunLogged', { runId: this.runId, jobId: this.jobId, level: 'info', message: `line ${++this.n}` });
  }

  finish(status: string) {
    return this.append('RunFinished', { runId: this.runId, status, durationMs: 1234 });
  }

  /** The run's lines as the log holds them: what every tail must add up to. */
  async lines(): Promise<Array<{ id: string; message: string }>> {
    const events: RecordedEvent[] = await this.events.readStream(`run-${this.runId}`);
    return events.filter((e) => e.type === 'RunLogged').map((e) => ({ id: e.position, message: (e.data as { message: string }).message }));
  }
}

const seen = (client: SseClient) => client.lines.map((m) => ({ id: m.id!, message: m.data.message as string }));

describe('live tails over Server-Sent Events, log lines appended by the test (e2e)', () => {
  let h: Harness;
  let url: string;
  let events: EventStore;
  let reads: ReadStore;

  beforeAll(async () => {
    h = await new Harness().start({ SLUICE_WORKERS: '0', SLUICE_SSE_KEEPALIVE_MS: '300' });
    url = h.url;
    events = h.app.get<EventStore>(EVENT_STORE);
    reads = h.app.get<ReadStore>(READ_STORE);
  });
  afterAll(() => h.destroy());

  it('sends the lines so far, then new ones; a client that drops resumes with Last-Event-ID and gets each line exactly once, then the end', async () => {
    const run = new ScriptedRun(events);
    await run.start(reads);
    await run.log(5);
    const first = await new SseClient(`${url}/v1/runs/${run.runId}/logs/stream`, AUTH).open();
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/event-stream/);
    await first.until((c) => c.lines.length === 5);
    expect(first.lines[0]).toMatchObject({ data: { level: 'info', message: 'line 1', task_id: null, at: expect.any(String) } });

    await run.log(5);
    await first.until((c) => c.lines.length >= 8);
    first.drop();
    await run.log(5);

    // Lines keep coming while the second connection reads its backlog and starts following.
    const last = first.lines[first.lines.length - 1].id!;
    const second = new SseClient(`${url}/v1/runs/${run.runId}/logs/stream`, { ...AUTH, 'Last-Event-ID': last });
    await run.log(5);
    await second.open();
    await run.log(3);
    await run.finish('failed');
    await second.ended;

    const all = await run.lines();
    expect(all).toHaveLength(23);
    expect([...seen(first), ...seen(second)]).toEqual(all);
    const end = second.messages[second.messages.length - 1];
    expect(end).toMatchObject({ event: 'end', data: { status: 'failed', error: null, duration_ms: 1234 } });
    expect(second.messages.filter((m) => m.event === 'end')).toHaveLength(1);

    // Resuming after a line through the query parameter (tools); after the end: 204, which stops EventSource.
    const tool = new SseClient(`${url}/v1/runs/${run.runId}/logs/stream?last_event_id=${all[20].id}`, AUTH);
    await tool.ended;
    expect(tool.messages.map((m) => m.data.message ?? m.event)).toEqual(['line 22', 'line 23', 'end']);
    const after = await new SseClient(`${url}/v1/runs/${run.runId}/logs/stream`, { ...AUTH, 'Last-Event-ID': end.id! }).open();
    expect(after.status).toBe(204);
  });

  it('loses and repeats nothing for clients that connect while the run is writing', async () => {
    const run = new ScriptedRun(events);
    await run.start(reads);
    const clients: SseClient[] = [];
    for (let i = 0; i < 12; i++) {
      clients.push(new SseClient(`${url}/v1/runs/${run.runId}/logs/stream`, AUTH));
      await run.log(15);
    }
    await run.finish('succeeded');
    await Promise.all(clients.map((c) => c.ended));
    const all = await run.lines();
    for (const client of clients) {
      expect(seen(client)).toEqual(all);
      expect(client.messages[client.messages.length - 1]).toMatchObject({ event: 'end', data: { status: 'succeeded' } });
    }
  });

  it('answers 404 before the stream for an unknown run, 400 for a bad Last-Event-ID, and 401 without a credential', async () => {
    const unknown = new SseClient(`${url}/v1/runs/${randomUUID()}/logs/stream`, AUTH);
    await unknown.ended;
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error).toMatchObject({ code: 'RUN.NOT_FOUND' });

    const run = new ScriptedRun(events);
    await run.start(reads);
    const bad = new SseClient(`${url}/v1/runs/${run.runId}/logs/stream`, { ...AUTH, 'Last-Event-ID': 'yesterday' });
    await bad.ended;
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatchObject({ code: 'VALIDATION', field: 'Last-Event-ID' });

    for (const path of [`/v1/runs/${run.runId}/logs/stream`, '/v1/events/stream']) {
      const anonymous = new SseClient(`${url}${path}`);
      await anonymous.ended;
      expect({ path, status: anonymous.status, code: JSON.parse(anonymous.body).error.code }).toEqual({ path, status: 401, code: 'UNAUTHORIZED' });
    }
    // EventSource cannot send headers: the token goes in @authtoken.
    const browser = await new SseClient(`${url}/v1/runs/${run.runId}/logs/stream?@authtoken=${TOKEN}`).open();
    expect(browser.status).toBe(200);
    browser.drop();
  });

  it('keeps a quiet stream open with a comment, and releases what a client held when it leaves', async () => {
    const live = h.app.get(LiveLog);
    await waitFor(() => live.listeners === 0);
    const run = new ScriptedRun(events);
    await run.start(reads);
    const quiet = await new SseClient(`${url}/v1/runs/${run.runId}/logs/stream`, AUTH).open();
    const dashboard = await new SseClient(`${url}/v1/events/stream`, AUTH).open();
    await quiet.until((c) => c.comments.includes('keep-alive'));
    await dashboard.until((c) => c.comments.includes('keep-alive'));
    expect(live.listeners).toBe(2);
    quiet.drop();
    dashboard.drop();
    await waitFor(() => live.listeners === 0);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > deadline) throw new Error('Condition not reached');
  }
}

describe('live tails of real runs (e2e)', () => {
  let h: Harness;
  let url: string;
  let from: string;
  let into: string;

  beforeAll(async () => {
    h = await new Harness().start({ SLUICE_WORKERS: '1' });
    url = h.url;
    const dir = join(h.files, 'in');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'small.csv'), 'id,name\n1,a\n2,b\n3,c\n');
    const rows = ['id,payload'];
    for (let i = 1; i <= 60_000; i++) rows.push(`${i},payload-${i}`);
    writeFileSync(join(dir, 'big.csv'), rows.join('\n') + '\n');
    from = await h.connection('live', 'in', 'csv', { path: dir });
    into = await h.connection('live', 'out', 'sqlite', { path: join(h.files, 'out.db') });
  });
  afterAll(() => h.destroy());

  const job = async (name: string, body: object) =>
    (await h.post(`${V2}/workspaces/live/jobs`, { name, source_connection_id: from, destination_connection_id: into, ...body }).expect(201)).body.id as string;

  it("tails a run's log to its end: the same lines as GET /v1/runs/{id}/logs, then `end` with the final status", async () => {
    const jobId = await job('small', { queries: ['REPLICATE [small]'] });
    const runId = (await h.post(`${V2}/jobs/${jobId}/execute`, {}).expect(202)).body.id;
    const tail = new SseClient(`${url}/v1/runs/${runId}/logs/stream`, AUTH);
    await tail.ended;
    const logs = (await h.get(`/v1/runs/${runId}/logs`).expect(200)).body.lines;
    expect(tail.lines.map((m) => m.data)).toEqual(logs);
    expect(tail.messages[tail.messages.length - 1]).toMatchObject({ event: 'end', data: { status: 'succeeded' } });
  });

  it("streams a job's run status changes; a dashboard that drops resumes with Last-Event-ID and misses none", async () => {
    const other = await job('other', { queries: ['REPLICATE [small]'] });
    const jobId = await job('busy', { batch_size: 1, queries: ['REPLICATE [big]'] });
    const dashboard = await new SseClient(`${url}/v1/events/stream?job=${jobId}`, AUTH).open();
    const otherRun = (await h.post(`${V2}/jobs/${other}/execute`, {}).expect(202)).body.id;
    await h.waitForRun(other, otherRun);
    const runId = (await h.post(`${V2}/jobs/${jobId}/execute`, {}).expect(202)).body.id;
    await dashboard.until((c) => c.messages.some((m) => m.event === 'started'));
    dashboard.drop();
    const resumed = new SseClient(`${url}/v1/events/stream?job=${jobId}`, { ...AUTH, 'Last-Event-ID': dashboard.messages[dashboard.messages.length - 1].id! });
    await resumed.until((c) => c.messages.some((m) => m.event === 'ended'), 60_000);
    resumed.drop();

    const all = [...dashboard.messages, ...resumed.messages];
    expect(all.every((m) => m.data.run_id === runId && m.data.job_id === jobId)).toBe(true);
    expect(all.filter((m) => m.event !== 'progress').map((m) => m.event)).toEqual(['queued', 'started', 'ended']);
    const ids = all.map((m) => BigInt(m.id!));
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(ids).size).toBe(ids.length);
    const ended = all[all.length - 1].data;
    expect(ended).toMatchObject({ status: 'succeeded', rows_read: 60_000, rows_written: 60_000, duration_ms: expect.any(Number) });
    const progress = all.filter((m) => m.event === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0].data.steps).toEqual([{ task_id: expect.any(String), rows_processed: expect.any(Number) }]);
    for (let i = 1; i < progress.length; i++) {
      expect(Date.parse(progress[i].data.at as string) - Date.parse(progress[i - 1].data.at as string)).toBeGreaterThanOrEqual(1000);
    }
  }, 90_000);

  it('closes open streams at shutdown, so the app stops', async () => {
    const jobId = await job('idle', { queries: ['REPLICATE [small]'] });
    const runId = (await h.post(`${V2}/jobs/${jobId}/execute`, {}).expect(202)).body.id;
    await h.waitForRun(jobId, runId);
    const dashboard = await new SseClient(`${url}/v1/events/stream`, AUTH).open();
    await h.stop();
    await dashboard.ended;
  });
});
