import { Harness } from './app.harness.js';

type Access = 'Public' | 'Authenticated' | 'Viewer' | 'Operator' | 'Administrator' | { role: 'Viewer' | 'Operator' | 'Administrator'; resource: string };
type Operation = { 'x-sluice-access'?: Access; description?: string; security?: unknown[] };
type Spec = { paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, Record<string, string>> } };

const RANK = { Viewer: 0, Operator: 1, Administrator: 2 } as const;
const roleOf = (access: Access) => (typeof access === 'object' ? access.role : access in RANK ? (access as keyof typeof RANK) : undefined);

/**
 * Every documented route, with its path parameters filled in (any value: the guard answers before the route
 * looks; Prisma's guard looks up the data sync first, so its routes get a real one, with auth on).
 */
function routes(spec: Spec, ids: Record<string, string> = {}) {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      name: `${method.toUpperCase()} ${path}`,
      method: method as 'get' | 'post' | 'put' | 'delete',
      url: path.replace(/\{([^}]+)\}/g, (_, name: string) => ids[name] ?? '0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21'),
      operation,
    })),
  );
}

describe('the access every route declares, walked over the OpenAPI spec (e2e)', () => {
  let h: Harness;
  let spec: Spec;
  const tokens: Record<string, string> = {};
  /** Etlworks' routes take a user's JWT from its token-auth API: one per role. */
  const jwts: Record<string, string> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    h = await new Harness().start();
    spec = (await h.get('/docs-json').expect(200)).body;
    for (const role of ['Viewer', 'Operator'] as const) {
      tokens[role] = (await h.post('/v1/tokens', { name: `walk-${role}`, roles: [role] }).expect(201)).body.token;
      await h.post('/v1/users', { login: `walk-${role}`, password: 'walk-password', roles: [role] }).expect(201);
      jwts[role] = (await h.raw().post('/rest/v1/token-auth/issue').send({ login: `walk-${role}`, password: 'walk-password' }).expect(200)).body.token;
    }
    const connection = await h.connection('walk', 'walk', 'sqlite', { path: '/tmp/sluice-walk.db' });
    ids.datasync_id = (await h.post('/v1/data-syncs', { name: 'walk', kind: 'import', connection_id: connection, table: 't', auth: true }).expect(201)).body.id;
    ids.launch_id = '1';
  });
  afterAll(() => h.destroy());

  // Jitsu's routes take the token in X-Admin-Token (or ?token=), Etlworks' a JWT, every other route a bearer token.
  const etlworks = (url: string) => url.startsWith('/etl/rest/') || url.startsWith('/rest/v1/');
  const as = (role: string | undefined, method: 'get' | 'post' | 'put' | 'delete', url: string) => {
    const req = h.raw()[method](url);
    return role ? req.set('Authorization', `Bearer ${etlworks(url) ? jwts[role] : tokens[role]}`).set('X-Admin-Token', tokens[role]) : req;
  };
  /** The 401 in each dialect's error shape (Prisma's is a 403 in plain text, Siren's Elasticsearch's security_exception). */
  const unauthorized = (url: string, body: { error?: { code?: string; type?: string }; message?: string; status?: number }, text: string) => {
    if (url.startsWith('/api/v1/tasks')) return body.message === 'Admin token does not match';
    if (etlworks(url)) return body.status === 401 && typeof body.message === 'string';
    if (url.startsWith('/api/data-sync')) return text.startsWith('Falló de autenticación');
    if (url.startsWith('/_siren/')) return body.status === 401 && body.error?.type === 'security_exception';
    return body.error?.code === 'UNAUTHORIZED';
  };
  const refusedStatus = (url: string) => (url.startsWith('/api/data-sync') ? 403 : 401);

  it('declares an access for every route and names it in the description', () => {
    const all = routes(spec);
    expect(all.length).toBeGreaterThan(20);
    for (const { name, operation } of all) {
      expect({ name, access: operation['x-sluice-access'] }).toEqual({ name, access: expect.anything() });
      expect(operation.description).toMatch(/Needs the \w+ role|No credential needed|Any valid credential/);
    }
  });

  it('answers 401 to a request without a credential on every route but the public ones', async () => {
    for (const { name, method, url, operation } of routes(spec, ids)) {
      const res = await as(undefined, method, url);
      if (operation['x-sluice-access'] === 'Public') expect({ name, status: res.status }).not.toEqual({ name, status: 401 });
      else expect({ name, status: res.status, shaped: unauthorized(url, res.body, res.text) }).toEqual({ name, status: refusedStatus(url), shaped: true });
    }
  });

  it('answers 403 to a Viewer and an Operator exactly where their role is too weak', async () => {
    for (const holder of ['Viewer', 'Operator'] as const) {
      for (const { name, method, url, operation } of routes(spec, ids)) {
        const needed = roleOf(operation['x-sluice-access']!);
        const res = await as(holder, method, url);
        const tooWeak = needed !== undefined && RANK[needed] > RANK[holder];
        if (tooWeak) expect({ holder, name, status: res.status }).toEqual({ holder, name, status: 403 });
        else expect({ holder, name, status: [401, 403].includes(res.status) ? res.status : 'allowed' }).toEqual({ holder, name, status: 'allowed' });
      }
    }
  });

  it('takes a token in x-cdata-authtoken, @authtoken or Bearer everywhere, and as a Basic password on CData routes only', async () => {
    const token = tokens.Viewer;
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    for (const url of ['/api.rsc/v2/workspaces/default/jobs', '/v1/runs/none']) {
      await h.raw().get(url).set('x-cdata-authtoken', token).expect((res) => expect(res.status).not.toBe(401));
      await h.raw().get(url).query({ '@authtoken': token }).expect((res) => expect(res.status).not.toBe(401));
      await h.raw().get(url).set('Authorization', `Bearer ${token}`).expect((res) => expect(res.status).not.toBe(401));
    }
    await h.raw().get('/api.rsc/v2/workspaces/default/jobs').set('Authorization', basic('anyone', token)).expect(200);
    const refused = await h.raw().get('/v1/runs/none').set('Authorization', basic('anyone', token)).expect(401);
    expect(refused.headers['www-authenticate']).toMatch(/Basic realm="Sluice"/);
    expect(refused.body.error).toMatchObject({ code: 'UNAUTHORIZED' });
    await h.raw().get('/api.rsc/v2/workspaces/default/jobs').set('x-cdata-authtoken', `${token}x`).expect(401);
  });

  it('lets a token scoped to one job use that job and nothing else', async () => {
    const job = (await h.post('/api.rsc/v2/workspaces/scoped/jobs', { name: 'mine' }).expect(201)).body.id;
    const other = (await h.post('/api.rsc/v2/workspaces/scoped/jobs', { name: 'theirs' }).expect(201)).body.id;
    const token = (await h.post('/v1/tokens', { name: 'one-job', roles: ['Operator'], scope: `job:${job}` }).expect(201)).body.token;
    const as = (req: import('supertest').Test) => req.set('Authorization', `Bearer ${token}`);
    await as(h.raw().get(`/api.rsc/v2/jobs/${job}`)).expect(200);
    await as(h.raw().post(`/api.rsc/v2/jobs/${job}/tasks`)).send({ query: 'REPLICATE [a]' }).expect(201);
    for (const refused of [h.raw().get(`/api.rsc/v2/jobs/${other}`), h.raw().get('/api.rsc/v2/workspaces/scoped/jobs'), h.raw().get('/v1/runs/none')]) {
      const res = await as(refused).expect(403);
      expect(res.body.error.message).toMatch(/scoped to job:/);
    }
    // it cannot change what the job is, even its own: that needs an Administrator, not a scope
    await as(h.raw().put(`/api.rsc/v2/jobs/${job}`)).send({ name: 'renamed' }).expect(403);
  });

  it('lists the security schemes accepted: API key header, @authtoken query, bearer (not JWT), basic, Jitsu\'s token and X-Admin-Token, Etlworks\' JWT', () => {
    expect(spec.components.securitySchemes).toEqual({
      'x-cdata-authtoken': expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-cdata-authtoken' }),
      '@authtoken': expect.objectContaining({ type: 'apiKey', in: 'query', name: '@authtoken' }),
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      basic: expect.objectContaining({ type: 'http', scheme: 'basic' }),
      token: expect.objectContaining({ type: 'apiKey', in: 'query', name: 'token' }),
      'X-Admin-Token': expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-Admin-Token' }),
      'etlworks-jwt': expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
      'etlworks-jwt-query': expect.objectContaining({ type: 'apiKey', in: 'query', name: 'Authorization' }),
      'datasync-basic': expect.objectContaining({ type: 'http', scheme: 'basic' }),
    });
    expect(spec.components.securitySchemes.bearer.bearerFormat).toBeUndefined();
    expect(spec.paths['/health'].get.security).toEqual([]);
  });
});
