import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_STORE, type EventStore } from '../../src/core/event-store.js';
import { toNewEvent } from '../../src/core/write-path.js';
import { UPCASTERS } from '../../src/event-schemas.js';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store.js';
import { Harness } from './app.harness.js';

const V2 = '/api.rsc/v2';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Served {
  id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: { actor: string; correlationId: string; causationId: string; schemaVersion: number; via?: { dialect: string; route: string } };
}

describe('the streams API, causation and correlation (e2e)', () => {
  let h: Harness;
  const ctx = (id: string) => ({ actor: 'test', correlationId: id, commandId: id, clock: () => new Date() });

  beforeAll(async () => {
    h = new Harness();
    // A made-up event type whose first shape, { text }, became { body, format }.
    UPCASTERS.push({ type: 'NoteWritten', fromVersion: 1, up: ({ data, metadata }) => ({ data: { body: (data as { text: string }).text, format: 'plain' }, metadata }) });
    const old = new SqliteEventStore(join(h.dataDir, 'events.db'));
    const metadata = { actor: 'admin', correlationId: 'old', occurredAt: '2025-01-01T00:00:00.000Z', schemaVersion: 1 };
    await old.append('note-1', [{ id: '00000000-0000-4000-8000-000000000001', type: 'NoteWritten', data: { text: 'hello' }, metadata }], 'no_stream');
    // Before identities: the one admin token acted as `admin`, workers as `worker <instance>`.
    const byWorker = { ...metadata, actor: 'worker host-1:4242' };
    await old.append('note-2', [{ id: '00000000-0000-4000-8000-000000000002', type: 'NoteWritten', data: { text: 'bye' }, metadata: byWorker }], 'no_stream');
    await old.close();
    await h.start();
  });
  afterAll(async () => {
    UPCASTERS.splice(0);
    await h.destroy();
  });

  const served = async (stream: string) => (await h.get(`/v1/streams/${encodeURIComponent(stream)}/events?limit=1000`).expect(200)).body.events as Served[];

  it('serves events stored in an old shape in their current shape', async () => {
    const [note] = await served('note-1');
    expect(note).toMatchObject({ type: 'NoteWritten', data: { body: 'hello', format: 'plain' }, metadata: { schemaVersion: 2 } });
  });

  it("reads old events' actors in today's names: admin as the bootstrap token, workers with a kind", async () => {
    expect((await served('note-1'))[0].metadata.actor).toBe('token:admin');
    expect((await served('note-2'))[0].metadata.actor).toBe('worker:host-1:4242');
  });

  it("never serves the event store's own $ streams", async () => {
    const store = h.app.get<EventStore>(EVENT_STORE);
    await store.append('$settings', [toNewEvent({ type: '$userStreamAcl', data: { readers: ['$all'] } }, ctx('sys'), '0')], 'any');
    const res = await h.get(`/v1/streams/${encodeURIComponent('$settings')}/events`).expect(404);
    expect(res.body.error).toMatchObject({ code: 'STREAM.NOT_FOUND' });
    await h.get(`/v1/streams/${encodeURIComponent('$all')}/events`).expect(404);
  });

  it('keeps a plain x-correlation-id of up to 128 characters and replaces any other with a new one', async () => {
    const correlationOf = async (name: string, header: string) => {
      const job = (await h.post(`${V2}/workspaces/corr/jobs`, { name }).set('x-correlation-id', header).expect(201)).body;
      return (await served(`job-${job.id}`))[0].metadata.correlationId;
    };
    const plain = `req-1.a:B_${'x'.repeat(118)}`;
    expect(plain).toHaveLength(128);
    expect(await correlationOf('kept', plain)).toBe(plain);
    expect(await correlationOf('too-long', `${plain}y`)).toMatch(UUID);
    expect(await correlationOf('spaces', 'two words')).toMatch(UUID);
    expect(await correlationOf('markup', '<script>alert(1)</script>')).toMatch(UUID);
    expect(await correlationOf('unicode', 'café')).toMatch(UUID);
  });

  it("names the command as the cause of a request's events, and the run's RunQueued as the cause of everything the run writes", async () => {
    const dir = join(h.files, 'in');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'items.csv'), 'id,name\n1,a\n2,b\n');
    const from = await h.connection('cause', 'in', 'csv', { path: dir });
    const into = await h.connection('cause', 'out', 'sqlite', { path: join(h.files, 'out.db') });
    const { job, run } = await h.runJob('cause', { name: 'caused', source_connection_id: from, destination_connection_id: into, queries: ['REPLICATE [items]'] });
    expect(run.status).toBe('succeeded');

    const jobEvents = await served(`job-${job.id}`);
    const created = jobEvents.filter((e) => e.type === 'JobCreated' || e.type === 'TaskAdded');
    expect(new Set(created.map((e) => e.metadata.causationId)).size).toBe(1);
    const requested = jobEvents.find((e) => e.type === 'RunRequested')!;

    const [queued, ...byTheRun] = await served(`run-${run.id}`);
    expect(queued.type).toBe('RunQueued');
    // the request that asked for the run caused RunRequested and RunQueued
    expect(queued.metadata.causationId).toBe(requested.metadata.causationId);
    const ended = jobEvents.find((e) => e.type === 'RunEnded')!;
    expect(byTheRun.map((e) => e.type)).toEqual(expect.arrayContaining(['RunStarted', 'StepStarted', 'StepCompleted', 'RunLogged', 'RunFinished']));
    for (const e of [...byTheRun, ended]) expect({ type: e.type, causationId: e.metadata.causationId }).toEqual({ type: e.type, causationId: queued.id });
    // the request acted as the bootstrap token through a CData route; the run's own events are the worker's
    expect(created[0].metadata.via).toEqual({ dialect: 'cdata', route: 'POST /api.rsc/v2/workspaces/:workspace_id/jobs' });
    expect(requested.metadata.via).toEqual({ dialect: 'cdata', route: 'POST /api.rsc/v2/jobs/:job_id/execute' });
    expect(byTheRun.some((e) => e.metadata.via)).toBe(false);
    expect([requested.metadata.actor, queued.metadata.actor]).toEqual(['token:admin', 'token:admin']);
    for (const e of [...byTheRun, ended]) expect(e.metadata.actor).toMatch(/^worker:.+/);
  });
});
