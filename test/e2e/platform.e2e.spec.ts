import { parseEDNString } from 'edn-data';
import { Harness, TOKEN } from './app.harness.js';

const V2 = '/api.rsc/v2';

describe('connections, auth, EDN, audit history, docs and health (e2e)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await new Harness().start();
  });
  afterAll(() => h.destroy());

  describe('auth', () => {
    it('answers 401 with a JSON error without a token or with a wrong one, and changes nothing', async () => {
      const missing = await h.raw().post(`${V2}/workspaces/auth/jobs`).send({ name: 'x' }).expect(401);
      expect(missing.body.error).toMatchObject({ code: 'UNAUTHORIZED' });
      await h.raw().post(`${V2}/workspaces/auth/jobs`).set('x-cdata-authtoken', 'wrong').send({ name: 'x' }).expect(401);
      await h.raw().get('/v1/streams/workspace-auth/events').set('authorization', 'Bearer wrong').expect(401);
      expect(await h.events('workspace-auth')).toEqual([]);
    });

    it('accepts the token in x-cdata-authtoken, @authtoken and Authorization: Bearer', async () => {
      await h.raw().get(`${V2}/workspaces/auth/jobs`).set('x-cdata-authtoken', TOKEN).expect(200);
      await h.raw().get(`${V2}/workspaces/auth/jobs?@authtoken=${TOKEN}`).expect(200);
      await h.raw().get(`${V2}/workspaces/auth/jobs`).set('authorization', `Bearer ${TOKEN}`).expect(200);
    });
  });

  describe('connections', () => {
    it('creates, lists, reads, updates and deletes connections', async () => {
      const created = await h
        .post(`${V2}/workspaces/conn/connections`, { Name: 'pg', Kind: 'postgres', Settings: { url: 'postgresql://u@localhost:5432/db' } })
        .expect(201);
      expect(created.body).toMatchObject({ name: 'pg', kind: 'postgres', workspace_id: 'conn', settings: { url: 'postgresql://u@localhost:5432/db' } });
      const id = created.body.id;
      expect((await h.get(`${V2}/workspaces/conn/connections`).expect(200)).body.value.map((c: { id: string }) => c.id)).toEqual([id]);
      const updated = await h.put(`${V2}/connections/${id}`, { name: 'warehouse' }).expect(200);
      expect(updated.body).toMatchObject({ id, name: 'warehouse', kind: 'postgres' });
      await h.delete(`${V2}/connections/${id}`).expect(204);
      await h.get(`${V2}/connections/${id}`).expect(404);
      await h.delete(`${V2}/connections/${id}`).expect(404);
    });

    it('validates kind and settings, and rejects duplicate names', async () => {
      const kind = await h.post(`${V2}/workspaces/conn2/connections`, { name: 'x', kind: 'oracle', settings: {} }).expect(400);
      expect(kind.body.error.message).toMatch(/kind must be one of: csv, sqlite, postgres/);
      const url = await h.post(`${V2}/workspaces/conn2/connections`, { name: 'x', kind: 'postgres', settings: { url: 'mysql://x' } }).expect(400);
      expect(url.body.error).toMatchObject({ code: 'CONNECTION.SETTINGS_INVALID', field: 'settings.url' });
      await h.connection('conn2', 'files');
      const dup = await h.post(`${V2}/workspaces/conn2/connections`, { name: 'FILES', kind: 'csv', settings: { path: '/x' } }).expect(409);
      expect(dup.body.error.code).toBe('CONNECTION.NAME_TAKEN');
    });

    it('refuses to delete a connection a job uses (409) until the job lets go of it', async () => {
      const src = await h.connection('conn3', 'in');
      const other = await h.connection('conn3', 'other');
      const job = (await h.post(`${V2}/workspaces/conn3/jobs`, { name: 'uses-in', source_connection_id: src }).expect(201)).body;
      const res = await h.delete(`${V2}/connections/${src}`).expect(409);
      expect(res.body.error).toMatchObject({ code: 'CONNECTION.IN_USE' });
      expect(res.body.error.message).toMatch(/uses-in/);
      await h.put(`${V2}/jobs/${job.id}`, { source_connection_id: other }).expect(200);
      await h.delete(`${V2}/connections/${src}`).expect(204);
      await h.delete(`${V2}/connections/${other}`).expect(409);
    });

    it('refuses a job that uses a connection of another workspace', async () => {
      const foreign = await h.connection('conn4', 'mine');
      const res = await h.post(`${V2}/workspaces/conn5/jobs`, { name: 'j', destination_connection_id: foreign }).expect(400);
      expect(res.body.error.code).toBe('CONNECTION.NOT_IN_WORKSPACE');
    });
  });

  describe('EDN', () => {
    it('answers in EDN with keyword keys for Accept: application/edn, errors included', async () => {
      await h.post(`${V2}/workspaces/edn/jobs`, { name: 'EdnJob', queries: ['REPLICATE [A]'] }).expect(201);
      const res = await h.get(`${V2}/workspaces/edn/jobs`).set('accept', 'application/edn').expect(200);
      expect(res.headers['content-type']).toMatch(/application\/edn/);
      expect(res.text).toMatch(/:name "EdnJob"/);
      const parsed = parseEDNString(res.text, { mapAs: 'object', keywordAs: 'string', listAs: 'array' }) as { value: Array<{ name: string; tasks: unknown[] }> };
      expect(parsed.value[0].name).toBe('EdnJob');
      expect(parsed.value[0].tasks).toHaveLength(1);
      const error = await h.get(`${V2}/jobs/missing`).set('accept', 'application/edn').expect(404);
      expect(error.text).toMatch(/^\{:error \{:code "JOB.NOT_FOUND"/);
    });

    it('accepts EDN request bodies, and answers 400 for malformed EDN', async () => {
      const res = await h
        .raw()
        .post(`${V2}/workspaces/edn/jobs`)
        .set('x-cdata-authtoken', TOKEN)
        .set('content-type', 'application/edn')
        .send('{:name "FromEdn" :schedule {:enabled true :cron "0 3 * * *"} :batch_size 250 :queries ["REPLICATE [X]"]}')
        .expect(201);
      expect(res.body).toMatchObject({ name: 'FromEdn', schedule: { enabled: true, cron: '0 3 * * *' }, batch_size: 250 });
      await h.raw().post(`${V2}/workspaces/edn/jobs`).set('x-cdata-authtoken', TOKEN).set('content-type', 'application/edn').send('{:name ').expect(400);
    });
  });

  describe('audit history', () => {
    it('returns every event of a job stream with actor, time, revision and global position, paged', async () => {
      const job = (await h.post(`${V2}/workspaces/audit/jobs`, { name: 'Audited', queries: ['REPLICATE [A]'] }).set('x-correlation-id', 'corr-1').expect(201)).body;
      await h.put(`${V2}/jobs/${job.id}`, { batch_size: 10 }).expect(200);
      await h.delete(`${V2}/jobs/${job.id}`).expect(204);
      const all = await h.get(`/v1/streams/job-${job.id}/events`).expect(200);
      expect(all.body.events.map((e: { type: string }) => e.type)).toEqual(['JobCreated', 'TaskAdded', 'JobUpdated', 'JobDeleted']);
      const [created] = all.body.events;
      expect(created).toMatchObject({ revision: 0, data: { name: 'Audited', workspaceId: 'audit' }, metadata: { actor: 'token:admin', correlationId: 'corr-1', schemaVersion: 2 } });
      expect(new Date(created.metadata.occurredAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
      expect(typeof created.position).toBe('string');
      expect(all.body.events[2].data.changes).toEqual({ settings: { batch_size: 10 } });
      const page = await h.get(`/v1/streams/job-${job.id}/events?from=1&limit=2`).expect(200);
      expect(page.body.events.map((e: { revision: number }) => e.revision)).toEqual([1, 2]);
      expect(page.body.next_from).toBe(3);
      await h.get('/v1/streams/job-nothing/events').expect(404);
      await h.get(`/v1/streams/job-${job.id}/events?limit=0`).expect(400);
    });
  });

  describe('docs and health', () => {
    it('serves Swagger UI and an OpenAPI document with every route, its schemas and examples', async () => {
      const ui = await h.raw().get('/docs').expect(200);
      expect(ui.text).toMatch(/swagger-ui/i);
      const spec = (await h.raw().get('/docs-json').expect(200)).body;
      for (const path of [
        '/api.rsc/v2/workspaces/{workspace_id}/jobs',
        '/api.rsc/v2/jobs/{job_id}',
        '/api.rsc/v2/jobs/{job_id}/tasks',
        '/api.rsc/v2/jobs/{job_id}/tasks/{task_id}',
        '/api.rsc/v2/jobs/{job_id}/tasks/{task_id}/move',
        '/api.rsc/v2/workspaces/{workspace_id}/connections',
        '/api.rsc/v2/connections/{id}',
        '/v1/streams/{stream}/events',
        '/api.rsc/v2/jobs/{job_id}/execute',
        '/api.rsc/v2/jobs/{job_id}/cancel',
        '/api.rsc/v2/jobs/{job_id}/status',
        '/api.rsc/v2/jobs/{job_id}/history',
        '/api.rsc/v2/jobs/{job_id}/history/{history_id}',
        '/api.rsc/v2/jobs/{job_id}/tasks/last-run',
        '/api.rsc/v2/jobs/{job_id}/tasks/{task_id}/history',
        '/v1/runs/{run_id}',
        '/v1/runs/{run_id}/logs',
        '/health',
      ]) {
        expect(spec.paths[path]).toBeDefined();
      }
      const create = spec.paths['/api.rsc/v2/workspaces/{workspace_id}/jobs'].post;
      expect(create.requestBody.content['application/json'].schema.$ref).toMatch(/CreateJobDto/);
      expect(create.responses['201'].content['application/json'].schema.example.name).toBe('ReverseETLJob');
      expect(spec.components.schemas.CreateJobDto.properties.batch_size).toBeDefined();
    });

    it('reports the event store and read store up', async () => {
      const res = await h.raw().get('/health').expect(200);
      expect(res.body.details).toMatchObject({ eventStore: { status: 'up' }, readStore: { status: 'up' } });
    });
  });
});
