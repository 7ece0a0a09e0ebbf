import { EVENT_STORE, type EventStore } from '../../src/core/event-store.js';
import { type WorkspaceEvent, workspaceDecider } from '../../src/workspaces/workspace.decider.js';
import { Harness } from './app.harness.js';

const V2 = '/api.rsc/v2';

/**
 * Names unique in a workspace and connections in use span two streams. The real SQLite event store is wrapped
 * so that one append to a chosen stream fails (as on a full disk); everything else stays real.
 */
describe('workspace rules survive a failure between two appends (e2e)', () => {
  let h: Harness;
  let failures: Array<(stream: string) => boolean>;

  beforeAll(async () => {
    h = await new Harness().start();
    const store = h.app.get<EventStore>(EVENT_STORE);
    const append = store.append.bind(store);
    failures = [];
    store.append = async (stream, events, expected) => {
      const failure = failures.findIndex((matches) => matches(stream));
      if (failure >= 0) {
        failures.splice(failure, 1);
        throw new Error('database or disk is full (injected)');
      }
      return append(stream, events, expected);
    };
  });
  afterAll(() => h.destroy());

  /** The next append to a stream starting with `prefix` fails, once. */
  const failNextAppendTo = (prefix: string) => failures.push((stream) => stream.startsWith(prefix));
  const jobs = async (ws: string) => (await h.get(`${V2}/workspaces/${ws}/jobs`).expect(200)).body.value as Array<{ id: string; name: string }>;

  it('a job whose own append failed holds neither its name nor its connection', async () => {
    const conn = await h.connection('w1', 'files');
    failNextAppendTo('job-');
    const failed = await h.post(`${V2}/workspaces/w1/jobs`, { name: 'Nightly', source_connection_id: conn });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(await jobs('w1')).toEqual([]);

    await h.delete(`${V2}/connections/${conn}`).expect(204);
    const again = await h.connection('w1', 'files');
    const job = (await h.post(`${V2}/workspaces/w1/jobs`, { name: 'nightly', source_connection_id: again }).expect(201)).body;
    expect((await jobs('w1')).map((j) => j.name)).toEqual(['nightly']);
    // The name is held again, by the job that exists.
    await h.post(`${V2}/workspaces/w1/jobs`, { name: 'NIGHTLY' }).expect(409);
    await h.delete(`${V2}/connections/${again}`).expect(409);
    await h.delete(`${V2}/jobs/${job.id}`).expect(204);
    await h.delete(`${V2}/connections/${again}`).expect(204);
  });

  it('a rename that failed keeps the old name held and leaves the new one free', async () => {
    const job = (await h.post(`${V2}/workspaces/w2/jobs`, { name: 'Old' }).expect(201)).body;
    failNextAppendTo(`job-${job.id}`);
    expect((await h.put(`${V2}/jobs/${job.id}`, { name: 'New' })).status).toBeGreaterThanOrEqual(500);
    expect((await h.get(`${V2}/jobs/${job.id}`).expect(200)).body.name).toBe('Old');
    await h.post(`${V2}/workspaces/w2/jobs`, { name: 'Old' }).expect(409);
    await h.post(`${V2}/workspaces/w2/jobs`, { name: 'New' }).expect(201);
    await h.put(`${V2}/jobs/${job.id}`, { name: 'New' }).expect(409);
  });

  it('a deleted job whose release failed gives its name back when someone wants it', async () => {
    const job = (await h.post(`${V2}/workspaces/w3/jobs`, { name: 'Doomed' }).expect(201)).body;
    failNextAppendTo('workspace-w3');
    await h.delete(`${V2}/jobs/${job.id}`).expect(204);
    await h.post(`${V2}/workspaces/w3/jobs`, { name: 'Doomed' }).expect(201);
  });

  it('a connection whose own append failed does not keep its name', async () => {
    failNextAppendTo('connection-');
    const failed = await h.post(`${V2}/workspaces/w4/connections`, { name: 'warehouse', kind: 'csv', settings: { path: '/tmp/w' } });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect((await h.get(`${V2}/workspaces/w4/connections`).expect(200)).body.value).toEqual([]);
    await h.connection('w4', 'Warehouse');
  });

  it('a connection delete that failed half way is finished by deleting again, and no job can start using it meanwhile', async () => {
    const conn = await h.connection('w5', 'leaving');
    failNextAppendTo(`connection-${conn}`);
    expect((await h.delete(`${V2}/connections/${conn}`)).status).toBeGreaterThanOrEqual(500);
    await h.get(`${V2}/connections/${conn}`).expect(200);
    const refused = await h.post(`${V2}/workspaces/w5/jobs`, { name: 'uses-it', source_connection_id: conn }).expect(409);
    expect(refused.body.error.message).toMatch(/being deleted/);
    await h.delete(`${V2}/connections/${conn}`).expect(204);
    await h.get(`${V2}/connections/${conn}`).expect(404);
    await h.connection('w5', 'leaving');
  });

  it('repairs orphans left by the workspace events written before claims existed', async () => {
    const conn = await h.connection('w8', 'old-files');
    const store = h.app.get<EventStore>(EVENT_STORE);
    // The old order: the workspace registration was appended, then the job's own append failed.
    const legacy = { type: 'JobRegistered', data: { jobId: 'never-created', name: 'Ghost', connectionIds: [conn] } };
    const metadata = { actor: 'test', correlationId: 'legacy', occurredAt: new Date().toISOString(), schemaVersion: 1 };
    await store.append('workspace-w8', [{ id: '6f1d2c1e-0000-4000-8000-000000000001', ...legacy, metadata }], 'any');
    await h.post(`${V2}/workspaces/w8/jobs`, { name: 'ghost' }).expect(201);
    await h.delete(`${V2}/connections/${conn}`).expect(204);
  });

  it('of concurrent creates with one name exactly one wins; the others answer 409 and hold nothing', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => h.post(`${V2}/workspaces/w6/jobs`, { name: 'Race' })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    const winner = answers.find((a) => a.status === 201)!.body;
    expect((await jobs('w6')).map((j) => j.id)).toEqual([winner.id]);
    const workspace = (await h.events('workspace-w6')).reduce((s, e) => workspaceDecider.evolve(s, e as WorkspaceEvent), workspaceDecider.initialState);
    expect(Object.keys(workspace.jobs)).toEqual([winner.id]);
    await h.delete(`${V2}/jobs/${winner.id}`).expect(204);
    await h.post(`${V2}/workspaces/w6/jobs`, { name: 'Race' }).expect(201);
  });

  it('a create racing the repair of an orphan with its name: one of them wins', async () => {
    failNextAppendTo('job-');
    await h.post(`${V2}/workspaces/w7/jobs`, { name: 'Contested' });
    const answers = await Promise.all([1, 2, 3].map(() => h.post(`${V2}/workspaces/w7/jobs`, { name: 'Contested' })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409]);
    expect((await jobs('w7')).map((j) => j.name)).toEqual(['Contested']);
  });
});
