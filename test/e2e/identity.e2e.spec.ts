import { createHash, randomUUID } from 'node:crypto';
import { EVENT_STORE, type EventStore } from '../../src/core/event-store.js';
import { toNewEvent } from '../../src/core/write-path.js';
import { Harness, TOKEN } from './app.harness.js';

const V2 = '/api.rsc/v2';
const basic = (login: string, password: string) => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;

describe('users, tokens and who acts (e2e)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await new Harness().start();
  });
  afterAll(async () => {
    await h.destroy();
  });

  const user = async (login: string, roles: string[], password = `${login}-secret-pw`) => {
    const res = await h.post('/v1/users', { login, password, roles }).expect(201);
    return { id: res.body.id as string, login, password, body: res.body };
  };
  const token = async (name: string, roles: string[], extra: object = {}) => (await h.post('/v1/tokens', { name, roles, ...extra }).expect(201)).body;
  const actorsOf = async (stream: string) => (await h.get(`/v1/streams/${stream}/events`).expect(200)).body.events.map((e: { metadata: { actor: string } }) => e.metadata.actor);

  it('creates a user who signs in with HTTP Basic on /v1 and CData routes, and never answers its password or hash', async () => {
    const ada = await user('ada', ['Operator']);
    expect(ada.body).toEqual({ id: ada.id, login: 'ada', roles: ['Operator'], disabled: false, created_at: expect.any(String), updated_at: expect.any(String) });
    const me = await h.raw().get('/v1/me').set('authorization', basic('ada', ada.password)).expect(200);
    expect(me.body).toEqual({
      actor: 'user:ada',
      kind: 'user',
      id: ada.id,
      name: 'ada',
      roles: ['Operator'],
      scope: null,
      expires_at: null,
      may: { read: true, operate: true, administer: false },
    });
    await h.raw().get(`${V2}/workspaces/w/jobs`).set('authorization', basic('ada', ada.password)).expect(200);
    await h.raw().get('/v1/me').set('authorization', basic('ada', 'not-the-password')).expect(401);
    await h.raw().get('/v1/me').set('authorization', basic('nobody', ada.password)).expect(401);
    // An Operator is not an Administrator.
    await h.raw().get('/v1/users').set('authorization', basic('ada', ada.password)).expect(403);

    const listed = await h.get('/v1/users').expect(200);
    const one = await h.get(`/v1/users/${ada.id}`).expect(200);
    for (const body of [ada.body, listed.body, one.body]) {
      const text = JSON.stringify(body);
      expect(text).not.toContain(ada.password);
      expect(text).not.toMatch(/scrypt|password/i);
    }
    expect(listed.body.users.map((u: { login: string }) => u.login)).toContain('ada');
  });

  it('pages users with limit and next_cursor', async () => {
    await user('page-1', ['Viewer']);
    await user('page-2', ['Viewer']);
    const logins: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { users: Array<{ login: string }>; next_cursor: string | null } } = await h.get(`/v1/users?limit=1${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      expect(page.body.users.length).toBeLessThanOrEqual(1);
      logins.push(...page.body.users.map((u) => u.login));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(logins).toEqual(expect.arrayContaining(['page-1', 'page-2']));
    expect(new Set(logins).size).toBe(logins.length);
  });

  it('refuses a taken login whatever its case, a short password and unknown roles', async () => {
    await user('bea', ['Viewer']);
    expect((await h.post('/v1/users', { login: 'BEA', password: 'long enough', roles: ['Viewer'] }).expect(409)).body.error.code).toBe('USER.LOGIN_TAKEN');
    expect((await h.post('/v1/users', { login: 'cy', password: 'short', roles: ['Viewer'] }).expect(400)).body.error.field).toBe('password');
    expect((await h.post('/v1/users', { login: 'cy', password: 'long enough', roles: ['Root'] }).expect(400)).body.error.field).toBe('roles');
    expect((await h.post('/v1/users', { login: 'c y', password: 'long enough', roles: ['Viewer'] }).expect(400)).body.error.field).toBe('login');
  });

  it('changes a password (the old one stops working at once), the roles, and disables a user: 401, history kept, still listed', async () => {
    const dan = await user('dan', ['Viewer']);
    await h.raw().get('/v1/me').set('authorization', basic('dan', dan.password)).expect(200);
    const changed = await h.put(`/v1/users/${dan.id}`, { password: 'a-new-password', roles: ['Administrator'] }).expect(200);
    expect(changed.body).toMatchObject({ roles: ['Administrator'], disabled: false });
    await h.raw().get('/v1/me').set('authorization', basic('dan', dan.password)).expect(401);
    const me = await h.raw().get('/v1/me').set('authorization', basic('dan', 'a-new-password')).expect(200);
    expect(me.body.may).toEqual({ read: true, operate: true, administer: true });

    await h.delete(`/v1/users/${dan.id}`).expect(204);
    const refused = await h.raw().get('/v1/me').set('authorization', basic('dan', 'a-new-password')).expect(401);
    expect(refused.body.error.message).toMatch(/disabled/);
    expect((await h.get(`/v1/users/${dan.id}`).expect(200)).body.disabled).toBe(true);
    const events = await h.get(`/v1/streams/user-${dan.id}/events`).expect(200);
    expect(events.body.events.map((e: { type: string }) => e.type)).toEqual(['UserCreated', 'UserPasswordChanged', 'UserRolesChanged', 'UserDisabled']);
    expect(JSON.stringify(events.body)).not.toContain('a-new-password');
    expect(JSON.stringify(events.body)).not.toContain('$scrypt$');
    // a user's history is for Administrators: a Viewer reads jobs' streams, not users'
    const viewer = (await token('peek', ['Viewer'])).token;
    await h.raw().get(`/v1/streams/user-${dan.id}/events`).set('authorization', `Bearer ${viewer}`).expect(403);

    await h.put(`/v1/users/${dan.id}`, { disabled: false }).expect(200);
    await h.raw().get('/v1/me').set('authorization', basic('dan', 'a-new-password')).expect(200);
    await h.get(`/v1/users/${randomUUID()}`).expect(404);
  });

  it('creates a token shown once that works as Bearer, x-cdata-authtoken and @authtoken, and never lists it or its hash', async () => {
    const created = await token('loader', ['Operator']);
    expect(created).toEqual({ id: expect.any(String), name: 'loader', roles: ['Operator'], scope: null, expires_at: null, created_at: expect.any(String), token: expect.stringMatching(/^slc_[A-Za-z0-9_-]{43}$/) });
    const secret = created.token as string;
    for (const request of [
      h.raw().get('/v1/me').set('authorization', `Bearer ${secret}`),
      h.raw().get('/v1/me').set('x-cdata-authtoken', secret),
      h.raw().get(`/v1/me?@authtoken=${encodeURIComponent(secret)}`),
    ]) {
      const me = await request.expect(200);
      expect(me.body).toMatchObject({ actor: 'token:loader', kind: 'token', id: created.id, name: 'loader', roles: ['Operator'] });
    }
    // CData also takes a token as the password of Basic under any user name; /v1 does not.
    await h.raw().get(`${V2}/workspaces/w/jobs`).set('authorization', basic('anyone', secret)).expect(200);
    await h.raw().get('/v1/me').set('authorization', basic('anyone', secret)).expect(401);

    const listed = await h.get('/v1/tokens').expect(200);
    const row = listed.body.tokens.find((t: { id: string }) => t.id === created.id);
    expect(row).toEqual({ id: created.id, name: 'loader', roles: ['Operator'], scope: null, expires_at: null, created_at: created.created_at, created_by: 'token:admin', last_used_at: expect.any(String), revoked: false });
    // the sign-in log keeps each token's last use (to the minute); the token was used just above
    expect(Date.parse(row.last_used_at)).toBeGreaterThanOrEqual(Date.parse(created.created_at));
    const hash = createHash('sha256').update(secret).digest('hex');
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(JSON.stringify(listed.body)).not.toContain(hash);
    // The event keeps only the hash, and /v1/streams masks even that.
    const events = JSON.stringify((await h.get(`/v1/streams/token-${created.id}/events`).expect(200)).body);
    expect(events).toContain('TokenCreated');
    expect(events).not.toContain(secret);
    expect(events).not.toContain(hash);
  });

  it('lets a Viewer token read but not create a job (403), and keeps token names unique, admin reserved, expiries in the future', async () => {
    const viewer = (await token('reader', ['Viewer'])).token;
    await h.raw().get(`${V2}/workspaces/w/jobs`).set('x-cdata-authtoken', viewer).expect(200);
    const refused = await h.raw().post(`${V2}/workspaces/w/jobs`).set('x-cdata-authtoken', viewer).send({ name: 'nope' }).expect(403);
    expect(refused.body.error.code).toBe('FORBIDDEN');

    expect((await h.post('/v1/tokens', { name: 'reader', roles: ['Viewer'] }).expect(409)).body.error.code).toBe('TOKEN.NAME_TAKEN');
    expect((await h.post('/v1/tokens', { name: 'admin', roles: ['Viewer'] }).expect(409)).body.error.code).toBe('TOKEN.NAME_TAKEN');
    const past = await h.post('/v1/tokens', { name: 'late', roles: ['Viewer'], expires_at: '2020-01-01T00:00:00Z' }).expect(400);
    expect(past.body.error.field).toBe('expires_at');
    await h.post('/v1/tokens', { name: 'empty', roles: [] }).expect(400);
  });

  it("carries a token's scope to every route: the one job it is scoped to, and no other", async () => {
    const mine = (await h.post(`${V2}/workspaces/w/jobs`, { name: 'scoped-one' }).expect(201)).body;
    const other = (await h.post(`${V2}/workspaces/w/jobs`, { name: 'scoped-other' }).expect(201)).body;
    const scoped = await token('job-reader', ['Viewer'], { scope: `job:${mine.id}` });
    expect(scoped.scope).toBe(`job:${mine.id}`);
    await h.raw().get(`${V2}/jobs/${mine.id}`).set('x-cdata-authtoken', scoped.token).expect(200);
    await h.raw().get(`${V2}/jobs/${other.id}`).set('x-cdata-authtoken', scoped.token).expect(403);
    await h.raw().get(`${V2}/workspaces/w/jobs`).set('x-cdata-authtoken', scoped.token).expect(403);
    expect((await h.raw().get('/v1/me').set('x-cdata-authtoken', scoped.token).expect(200)).body.scope).toBe(`job:${mine.id}`);
    await h.post('/v1/tokens', { name: 'bad-scope', roles: ['Viewer'], scope: 'everything' }).expect(400);
  });

  it('answers 401 on the very next request with a revoked token, and keeps its name taken', async () => {
    const created = await token('short-lived', ['Administrator']);
    await h.raw().get('/v1/tokens').set('authorization', `Bearer ${created.token}`).expect(200);
    await h.delete(`/v1/tokens/${created.id}`).expect(204);
    const refused = await h.raw().get('/v1/me').set('authorization', `Bearer ${created.token}`).expect(401);
    expect(refused.body.error.message).toMatch(/revoked/);
    const row = (await h.get('/v1/tokens').expect(200)).body.tokens.find((t: { id: string }) => t.id === created.id);
    expect(row.revoked).toBe(true);
    await h.post('/v1/tokens', { name: 'short-lived', roles: ['Viewer'] }).expect(409);
    await h.delete(`/v1/tokens/${randomUUID()}`).expect(404);
  });

  it('answers 401 for a token past its expiry', async () => {
    // Written as it would have been created a day ago with an expiry an hour ago: no waiting on the clock.
    const store = h.app.get<EventStore>(EVENT_STORE);
    const secret = `slc_${randomUUID()}`;
    const tokenHash = createHash('sha256').update(secret).digest('hex');
    const tokenId = randomUUID();
    const ctx = { actor: 'token:admin', correlationId: 'expired', commandId: randomUUID(), clock: () => new Date(Date.now() - 86_400_000) };
    const expiresAt = new Date(Date.now() - 3_600_000).toISOString();
    await store.append(`token-hash-${tokenHash}`, [toNewEvent({ type: 'TokenHashIndexed', data: { tokenId } }, ctx, 'index')], 'no_stream');
    await store.append(`token-${tokenId}`, [toNewEvent({ type: 'TokenCreated', data: { tokenId, name: 'expired', roles: ['Viewer'], tokenHash, expiresAt } }, ctx, 'create')], 'no_stream');
    const refused = await h.raw().get('/v1/me').set('x-cdata-authtoken', secret).expect(401);
    expect(refused.body.error.message).toMatch(/expired/);

    const fresh = await token('not-yet', ['Viewer'], { expires_at: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await h.raw().get('/v1/me').set('x-cdata-authtoken', fresh.token).expect(200)).body.expires_at).toBe(fresh.expires_at);
  });

  it('writes user:<login> and token:<name> as the actor of the events each credential causes', async () => {
    const eve = await user('eve', ['Administrator']);
    const byUser = (await h.raw().post(`${V2}/workspaces/w/jobs`).set('authorization', basic('eve', eve.password)).send({ name: 'by-eve' }).expect(201)).body;
    const ops = (await token('ops-bot', ['Administrator'])).token;
    const byToken = (await h.raw().post(`${V2}/workspaces/w/jobs`).set('authorization', `Bearer ${ops}`).send({ name: 'by-bot' }).expect(201)).body;
    await h.raw().put(`${V2}/jobs/${byUser.id}`).set('x-cdata-authtoken', ops).send({ name: 'by-eve-renamed' }).expect(200);
    const byAdmin = (await h.post(`${V2}/workspaces/w/jobs`, { name: 'by-admin' }).expect(201)).body;
    // a token as the Basic password (CData), in the query, and scoped to one job
    await h.raw().put(`${V2}/jobs/${byAdmin.id}`).set('authorization', basic('anyone', ops)).send({ name: 'by-admin-2' }).expect(200);
    await h.raw().put(`${V2}/jobs/${byAdmin.id}?@authtoken=${encodeURIComponent(ops)}`).send({ name: 'by-admin-3' }).expect(200);
    const scoped = (await token('one-job', ['Operator'], { scope: `job:${byAdmin.id}` })).token;
    await h.raw().post(`${V2}/jobs/${byAdmin.id}/tasks`).set('authorization', `Bearer ${scoped}`).send({ query: 'REPLICATE [t]' }).expect(201);

    expect(await actorsOf(`job-${byUser.id}`)).toEqual(['user:eve', 'token:ops-bot']);
    expect(await actorsOf(`job-${byToken.id}`)).toEqual(['token:ops-bot']);
    expect(await actorsOf(`job-${byAdmin.id}`)).toEqual(['token:admin', 'token:ops-bot', 'token:ops-bot', 'token:one-job']);
    const eventsText = JSON.stringify((await h.get(`/v1/streams/job-${byUser.id}/events`).expect(200)).body);
    expect(eventsText).not.toContain(eve.password);
    expect(eventsText).not.toContain(ops);
  });
});

describe('credentials that must never work (e2e)', () => {
  let h: Harness;
  beforeAll(async () => (h = await new Harness().start()));
  afterAll(() => h.destroy());

  it('refuses an empty Basic password or token, and ids that are not ids', async () => {
    await h.raw().get(`${V2}/workspaces/w/jobs`).set('authorization', basic('x', '')).expect(401);
    await h.raw().get(`${V2}/workspaces/w/jobs`).set('authorization', basic('', '')).expect(401);
    const victim = (await h.post('/v1/tokens', { name: 'victim', roles: ['Viewer'] }).expect(201)).body;
    // `name-victim` would be the stream token-name-victim, which keeps the name taken
    await h.delete('/v1/tokens/name-victim').expect(404);
    await h.delete(`/v1/users/${'..%2F'}x`).expect(404);
    await h.post('/v1/tokens', { name: 'victim', roles: ['Administrator'] }).expect(409);
    await h.raw().get('/v1/me').set('authorization', `Bearer ${victim.token}`).expect(200);
  });

  it('will not start with an empty admin-token file', async () => {
    const { writeFileSync } = await import('node:fs');
    const { loadSettings } = await import('../../src/config/settings.js');
    writeFileSync(`${h.dataDir}/admin-token`, '\n');
    expect(() => loadSettings({ SLUICE_DATA_DIR: h.dataDir })).toThrow(/admin-token is empty/);
  });
});

describe('SLUICE_ADMIN_PASSWORD (e2e)', () => {
  it('creates the user admin with Administrator, and a restart with the same value appends nothing', async () => {
    const env = { SLUICE_ADMIN_PASSWORD: 'admin-password-1' };
    const first = await new Harness().start(env);
    let second: Harness | undefined;
    try {
      const me = await first.raw().get('/v1/me').set('authorization', basic('admin', 'admin-password-1')).expect(200);
      expect(me.body).toMatchObject({ actor: 'user:admin', kind: 'user', name: 'admin', roles: ['Administrator'] });
      const userId = me.body.id as string;
      const history = async (h: Harness) => (await h.get(`/v1/streams/user-${userId}/events`).expect(200)).body.events;
      const created = await history(first);
      expect(created.map((e: { type: string; metadata: { actor: string } }) => [e.type, e.metadata.actor])).toEqual([['UserCreated', 'token:admin']]);
      // Someone disables admin and takes its role away; the next start puts both back, and nothing else.
      await first.put(`/v1/users/${userId}`, { roles: ['Viewer'], disabled: true }).expect(200);
      await first.stop();

      second = await new Harness(first.dataDir).start(env);
      const repaired = (await history(second)).map((e: { type: string }) => e.type);
      expect(repaired).toEqual(['UserCreated', 'UserRolesChanged', 'UserDisabled', 'UserRolesChanged', 'UserEnabled']);
      await second.stop();

      await second.start(env);
      expect(await history(second)).toHaveLength(repaired.length);
      await second.raw().get('/v1/users').set('authorization', basic('admin', 'admin-password-1')).expect(200);
      await second.stop();

      await second.start({ SLUICE_ADMIN_PASSWORD: 'admin-password-2' });
      expect((await history(second)).map((e: { type: string }) => e.type).slice(repaired.length)).toEqual(['UserPasswordChanged']);
      await second.raw().get('/v1/me').set('authorization', basic('admin', 'admin-password-1')).expect(401);
      await second.raw().get('/v1/me').set('authorization', basic('admin', 'admin-password-2')).expect(200);
      await second.raw().get('/v1/me').set('x-cdata-authtoken', TOKEN).expect(200);
    } finally {
      await (second ?? first).destroy();
    }
  });
});
