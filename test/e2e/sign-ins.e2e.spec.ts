import { READ_STORE, type ReadStore } from '../../src/core/read-store.js';
import { AUTH_EVENTS } from '../../src/identity/sign-ins.js';
import { Harness, TOKEN } from './app.harness.js';

type AuthEvent = { at: string; outcome: string; actor: string | null; login: string | null; way: string; address: string; reason: string | null };

describe('throttled sign-ins', () => {
  const h = new Harness();
  beforeAll(() => h.start());
  afterAll(() => h.destroy());

  it('answers 429 with Retry-After after 10 bad tokens from one address, even for the right token', async () => {
    for (let i = 0; i < 10; i++) {
      await h.raw().get('/v1/auth-events').set('x-cdata-authtoken', `wrong-${i}`).expect(401);
    }

    const refused = await h.get('/v1/auth-events').expect(429);

    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.body.error.code).toBe('AUTH.THROTTLED');
    expect(refused.body.error.message).toBe(`Too many failed sign-ins from 127.0.0.1; try again in ${retryAfter} s`);
    // The CData dialect shares the one throttle.
    await h.get('/api.rsc/v2/workspaces/default/jobs').expect(429);
  });
});

describe('GET /v1/auth-events', () => {
  const h = new Harness();
  beforeAll(() => h.start());
  afterAll(() => h.destroy());

  const list = async (query = '') => (await h.get(`/v1/auth-events${query}`).expect(200)).body as { events: AuthEvent[]; next_cursor: string | null };

  it('lists failures and successes newest first, with way and address, never the secret presented', async () => {
    await h.raw().get('/v1/auth-events').set('x-cdata-authtoken', 'wrong-secret-123').expect(401);
    await h.raw().get('/v1/auth-events').auth('ada', 'pw-secret-456').expect(401);
    await h.raw().get(`/v1/auth-events?@authtoken=${TOKEN}`).expect(200);

    const { events } = await list();

    expect(events.map(({ outcome, actor, login, way, reason }) => ({ outcome, actor, login, way, reason }))).toEqual([
      { outcome: 'success', actor: 'token:admin', login: null, way: 'x-cdata-authtoken', reason: null },
      { outcome: 'success', actor: 'token:admin', login: null, way: '@authtoken', reason: null },
      { outcome: 'failure', actor: null, login: 'ada', way: 'basic', reason: 'The login or password is not valid' },
      { outcome: 'failure', actor: null, login: null, way: 'x-cdata-authtoken', reason: 'The token is not valid' },
    ]);
    for (const event of events) {
      expect(event.address).toBe('127.0.0.1');
      expect(Date.parse(event.at)).not.toBeNaN();
    }
    expect((await list('?address=127.0.0.1')).events).toHaveLength(events.length);
    const text = JSON.stringify(events);
    for (const secret of ['wrong-secret-123', 'pw-secret-456', TOKEN]) expect(text).not.toContain(secret);
  });

  it('records a success once a minute per actor, address and way, not once a request', async () => {
    const before = (await list('?outcome=success')).events.length;
    for (let i = 0; i < 5; i++) await h.get('/v1/auth-events').expect(200);
    const after = (await list('?outcome=success')).events.length;
    // At most one more, should this test straddle the minute since the last record.
    expect(after - before).toBeLessThanOrEqual(1);
  });

  it('filters by outcome and login and pages with next_cursor', async () => {
    const failures = await list('?outcome=failure&login=ada');
    expect(failures.events.map((e) => e.login)).toEqual(['ada']);

    const first = await list('?limit=2');
    expect(first.events).toHaveLength(2);
    const second = await list(`?limit=2&cursor=${first.next_cursor}`);
    expect([...first.events, ...second.events]).toEqual((await list()).events);
  });

  it('refuses a bad filter with a 400 that names it', async () => {
    const res = await h.get('/v1/auth-events?outcome=maybe').expect(400);
    expect(res.body.error.message).toContain('outcome must be one of: success, failure, throttled');
    await h.get('/v1/auth-events?limit=1001').expect(400);
    await h.get('/v1/auth-events?since=yesterday').expect(400);
  });

  it('deletes records older than SLUICE_AUTH_LOG_DAYS when it starts', async () => {
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    const old = { id: 'old', at: daysAgo(40), outcome: 'failure', way: 'bearer', address: '10.0.0.1', reason: 'The credential is not valid' };
    const recent = { ...old, id: 'recent', at: daysAgo(10) };
    await h.app.get<ReadStore>(READ_STORE).write([old, recent].map((doc) => ({ collection: AUTH_EVENTS, op: 'upsert' as const, doc })));
    expect((await list('?address=10.0.0.1')).events).toHaveLength(2);

    await h.stop();
    await h.start({ SLUICE_AUTH_LOG_DAYS: '30' });

    expect((await list('?address=10.0.0.1')).events.map((e) => e.at)).toEqual([recent.at]);
  });
});

describe('the client address behind a proxy', () => {
  const h = new Harness();
  afterAll(() => h.destroy());

  const addressOfLastFailure = async () => {
    await h.raw().get('/v1/auth-events').set('x-cdata-authtoken', 'wrong').set('x-forwarded-for', '203.0.113.9').expect(401);
    return (await h.get('/v1/auth-events?outcome=failure&limit=1').expect(200)).body.events[0].address;
  };

  it('ignores X-Forwarded-For unless SLUICE_TRUST_PROXY trusts the proxy, then takes the client from it', async () => {
    await h.start();
    expect(await addressOfLastFailure()).toBe('127.0.0.1');
    await h.stop();
    await h.start({ SLUICE_TRUST_PROXY: 'loopback' });
    expect(await addressOfLastFailure()).toBe('203.0.113.9');
  });
});
