import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { DomainError, ThrottledError } from '../core/errors.js';
import { SqliteReadStore } from '../infrastructure/sqlite/sqlite-read-store.js';
import type { Credential, Principal } from './principal.js';
import { AUTH_EVENTS, type AuthEventDoc, SignIns, TOKEN_USE } from './sign-ins.js';

const TOKEN_PRINCIPAL: Principal = { actor: 'token:etl', kind: 'token', id: 'tok-1', name: 'etl', roles: ['Operator'] };
const USER_PRINCIPAL: Principal = { actor: 'user:ada', kind: 'user', id: 'usr-1', name: 'ada', roles: ['Viewer'] };
const token = (secret = 'a-token-secret'): Credential => ({ kind: 'token', way: 'bearer', token: secret });
const password = (login: string, secret = 'a-password'): Credential => ({ kind: 'password', way: 'basic', login, password: secret });

let dir: string;
let store: SqliteReadStore;
let now: number;
let signIns: SignIns;
let resolved: number;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-sign-ins-'));
  store = new SqliteReadStore(join(dir, 'read-models.db'));
  now = Date.parse('2026-11-23T08:00:00.000Z');
  signIns = new SignIns(store, { authLogDays: 90 }, () => new Date(now));
  await signIns.onModuleInit();
  resolved = 0;
});

afterEach(async () => {
  await store.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** Signs in with `credential` from `address`; `valid` says whether the store would accept it. */
function signIn(credential: Credential, address: string, valid: boolean, principal = TOKEN_PRINCIPAL) {
  return signIns.attempt({ credential, address }, async () => {
    resolved++;
    if (!valid) throw new DomainError('UNAUTHORIZED', 'The credential is not valid');
    return principal;
  });
}

async function fail(times: number, credential: (i: number) => Credential, address: (i: number) => string) {
  for (let i = 0; i < times; i++) await expect(signIn(credential(i), address(i), false)).rejects.toThrow('not valid');
}

const records = async () => (await store.find<AuthEventDoc>(AUTH_EVENTS, { sort: { field: 'at', order: 1 } })).items;

describe('throttling failed sign-ins', () => {
  it('refuses the attempt after 10 failures from one address, the right credential too, without checking it', async () => {
    await fail(10, (i) => token(`wrong-${i}`), () => '10.0.0.1');
    const checks = resolved;

    const refused = await signIn(token(), '10.0.0.1', true).catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(ThrottledError);
    expect((refused as ThrottledError).retryAfterSeconds).toBeGreaterThan(0);
    expect((refused as ThrottledError).retryAfterSeconds).toBeLessThanOrEqual(60);
    expect((refused as ThrottledError).message).toContain('from 10.0.0.1');
    expect(resolved).toBe(checks);
  });

  it('allows 9 failures, and lets the address in again once its failures are a minute old', async () => {
    await fail(9, () => token('wrong'), () => '10.0.0.1');
    await expect(signIn(token(), '10.0.0.1', true)).resolves.toBe(TOKEN_PRINCIPAL);
    await fail(1, () => token('wrong'), () => '10.0.0.1');
    now += 30_000;
    const refused = (await signIn(token(), '10.0.0.1', true).catch((e: unknown) => e)) as ThrottledError;
    expect(refused.retryAfterSeconds).toBe(30);

    now += 30_000;
    await expect(signIn(token(), '10.0.0.1', true)).resolves.toBe(TOKEN_PRINCIPAL);
  });

  it('counts failures per login, case-insensitively, whatever the address', async () => {
    await fail(10, (i) => password(i % 2 ? 'Ada' : 'ada'), (i) => `10.0.1.${i}`);

    await expect(signIn(password('ADA', 'right'), '10.0.2.1', true)).rejects.toThrow(/for login ADA.*try again in 60 s/);
    await expect(signIn(password('grace'), '10.0.2.1', true)).resolves.toBe(TOKEN_PRINCIPAL);
    await expect(signIn(token(), '10.0.2.2', true)).resolves.toBe(TOKEN_PRINCIPAL);
  });

  it('counts failures per address across logins and tokens', async () => {
    await fail(10, (i) => (i % 2 ? password(`user${i}`) : token(`wrong-${i}`)), () => '10.0.0.1');

    await expect(signIn(password('fresh'), '10.0.0.1', true)).rejects.toBeInstanceOf(ThrottledError);
    await expect(signIn(password('fresh'), '::ffff:10.0.0.1', true)).rejects.toBeInstanceOf(ThrottledError);
    await expect(signIn(password('fresh'), '10.0.0.2', true)).resolves.toBe(TOKEN_PRINCIPAL);
  });

  it("clears the login's count on success, but not the address's", async () => {
    await fail(9, () => password('ada'), (i) => `10.0.1.${i}`);
    await signIn(password('ada'), '10.0.9.9', true, USER_PRINCIPAL);
    await fail(9, () => password('ada'), (i) => `10.0.2.${i}`);
    await expect(signIn(password('ada'), '10.0.3.1', true, USER_PRINCIPAL)).resolves.toBe(USER_PRINCIPAL);

    await fail(9, (i) => password(`user${i}`), () => '10.0.0.1');
    await signIn(password('ada'), '10.0.0.1', true, USER_PRINCIPAL);
    await fail(1, () => token('wrong'), () => '10.0.0.1');
    await expect(signIn(token(), '10.0.0.1', true)).rejects.toBeInstanceOf(ThrottledError);
  });

  it("does not clear a login's count when a token sent as its Basic password signs in", async () => {
    await fail(9, () => password('admin'), (i) => `10.0.1.${i}`);
    await signIn(password('admin', 'slc_a-token'), '10.0.9.9', true, TOKEN_PRINCIPAL);
    await fail(1, () => password('admin'), () => '10.0.1.20');
    await expect(signIn(password('admin', 'right'), '10.0.2.1', true, USER_PRINCIPAL)).rejects.toThrow(/for login admin/);
  });

  it('keeps a login open from an address its user signed in from, while strangers are throttled on it', async () => {
    await signIn(password('ada', 'right'), '10.0.7.7', true, USER_PRINCIPAL);
    await fail(10, () => password('ada'), (i) => `10.0.1.${i}`);
    await expect(signIn(password('ada', 'right'), '10.0.2.1', true, USER_PRINCIPAL)).rejects.toBeInstanceOf(ThrottledError);
    await expect(signIn(password('ada', 'right'), '10.0.7.7', true, USER_PRINCIPAL)).resolves.toBe(USER_PRINCIPAL);
  });

  it('counts an IPv6 client by its /64, so changing address within it gains nothing', async () => {
    await fail(10, (i) => token(`wrong-${i}`), (i) => `2001:db8:0:7::${i + 1}`);
    await expect(signIn(token(), '2001:db8:0:7:ffff:1:2:3', true)).rejects.toThrow(/from 2001:db8:0:7::\/64/);
    await expect(signIn(token(), '2001:db8:0:8::1', true)).resolves.toBe(TOKEN_PRINCIPAL);
  });

  it('checks at most 10 of a burst of attempts made at once', async () => {
    let answer!: () => void;
    const answered = new Promise<void>((r) => (answer = r));
    const burst = Array.from({ length: 15 }, (_, i) =>
      signIns.attempt({ credential: password(`user${i}`), address: '10.0.0.1' }, async () => {
        resolved++;
        await answered;
        throw new DomainError('UNAUTHORIZED', 'The credential is not valid');
      }),
    );
    answer();
    const outcomes = await Promise.all(burst.map((p) => p.catch((e: DomainError) => e.code)));

    expect(resolved).toBe(10);
    expect(outcomes.filter((code) => code === 'AUTH.THROTTLED')).toHaveLength(5);
  });

  it('does not hold an attempt that succeeded against the address', async () => {
    await fail(9, () => token('wrong'), () => '10.0.0.1');
    for (let i = 0; i < 5; i++) await expect(signIn(token(), '10.0.0.1', true)).resolves.toBe(TOKEN_PRINCIPAL);
    await fail(1, () => token('wrong'), () => '10.0.0.1');
    await expect(signIn(token(), '10.0.0.1', true)).rejects.toBeInstanceOf(ThrottledError);
  });

  it('lets errors other than a wrong credential through without counting them', async () => {
    for (let i = 0; i < 12; i++) {
      const down = signIns.attempt({ credential: token(), address: '10.0.0.1' }, () => Promise.reject(new Error('store down')));
      await expect(down).rejects.toThrow('store down');
    }
    await expect(signIn(token(), '10.0.0.1', true)).resolves.toBe(TOKEN_PRINCIPAL);
    expect(await records()).toEqual([expect.objectContaining({ outcome: 'success' })]);
  });
});

describe('the sign-in log', () => {
  it('writes one record per throttled key and minute, however many attempts a flood makes', async () => {
    await fail(10, (i) => token(`wrong-${i}`), () => '10.0.0.1');
    for (let i = 0; i < 50; i++) await expect(signIn(token(), '10.0.0.1', true)).rejects.toBeInstanceOf(ThrottledError);
    expect((await records()).filter((r) => r.outcome === 'throttled')).toHaveLength(1);
  });

  it('never records a token typed where the login goes, nor a login no user could have', async () => {
    await fail(1, () => password('slc_AAAAsecretTokenText', ''), () => '10.0.0.1');
    await fail(1, () => password(`${'x'.repeat(5000)}`), () => '10.0.0.1');
    const text = JSON.stringify(await records());
    expect(text).not.toContain('secretTokenText');
    expect(text).not.toContain('xxxxxxxxxx');
    expect((await records()).map((r) => r.login)).toEqual(['(not a login)', '(not a login)']);
  });

  it('records failures and throttled attempts with login, way, address and reason, never the secret', async () => {
    await fail(10, () => password('ada', 'hunter2-secret'), (i) => (i % 2 ? '::ffff:10.0.0.1' : '10.0.0.1'));
    await expect(signIn(password('ada', 'hunter2-secret'), '10.0.0.1', true)).rejects.toBeInstanceOf(ThrottledError);

    const docs = await records();
    expect(docs.map((d) => d.outcome)).toEqual([...Array(10).fill('failure'), 'throttled']);
    expect(docs[0]).toEqual({ id: expect.any(String), at: '2026-11-23T08:00:00.000Z', outcome: 'failure', login: 'ada', way: 'basic', address: '10.0.0.1', reason: 'The credential is not valid' });
    expect(docs.every((d) => d.address === '10.0.0.1')).toBe(true);
    expect(docs[10].reason).toMatch(/Too many failed sign-ins .* try again in 60 s/);
    expect(JSON.stringify(docs)).not.toContain('hunter2-secret');
  });

  it("records a success at most once a minute per actor, address and way, and the token's last use with it", async () => {
    await signIn(token(), '10.0.0.1', true);
    now += 1_000;
    await signIn(token(), '10.0.0.1', true);
    await signIn(token(), '10.0.0.2', true);
    await signIn(password('ada'), '10.0.0.1', true, USER_PRINCIPAL);
    now += 60_000;
    await signIn(token(), '10.0.0.1', true);

    const successes = (await records()).map(({ at, actor, address, way, login }) => ({ at, actor, address, way, login }));
    expect(successes).toEqual([
      { at: '2026-11-23T08:00:00.000Z', actor: 'token:etl', address: '10.0.0.1', way: 'bearer', login: undefined },
      { at: '2026-11-23T08:00:01.000Z', actor: 'token:etl', address: '10.0.0.2', way: 'bearer', login: undefined },
      { at: '2026-11-23T08:00:01.000Z', actor: 'user:ada', address: '10.0.0.1', way: 'basic', login: 'ada' },
      { at: '2026-11-23T08:01:01.000Z', actor: 'token:etl', address: '10.0.0.1', way: 'bearer', login: undefined },
    ]);
    expect(await store.get(TOKEN_USE, 'tok-1')).toEqual({ id: 'tok-1', lastUsedAt: '2026-11-23T08:01:01.000Z' });
    expect(await store.get(TOKEN_USE, 'usr-1')).toBeNull();
  });

  it('answers the sign-in when the read store cannot record it', async () => {
    await store.close();
    Logger.overrideLogger(false); // the warnings it logs instead
    try {
      await expect(signIn(token(), '10.0.0.1', true)).resolves.toBe(TOKEN_PRINCIPAL);
      await expect(signIn(token('wrong'), '10.0.0.1', false)).rejects.toThrow('not valid');
    } finally {
      Logger.overrideLogger(['log', 'error', 'warn', 'fatal']);
    }
  });

  it('lists newest first, filtered by outcome, login and time', async () => {
    await fail(2, () => password('ada'), () => '10.0.0.1');
    now += 1_000;
    await signIn(token(), '10.0.0.2', true);

    const all = await signIns.list({ limit: 100 });
    expect(all.items.map((d) => d.outcome)).toEqual(['success', 'failure', 'failure']);
    expect((await signIns.list({ outcome: 'failure', login: 'ada', limit: 100 })).items).toHaveLength(2);
    expect((await signIns.list({ since: '2026-11-23T09:00:00.500+01:00', limit: 100 })).items.map((d) => d.actor)).toEqual(['token:etl']);
    const first = await signIns.list({ limit: 2 });
    const second = await signIns.list({ limit: 2, cursor: first.next });
    expect([...first.items, ...second.items].map((d) => d.id)).toEqual(all.items.map((d) => d.id));
  });
});

describe('retention', () => {
  it('deletes the records older than SLUICE_AUTH_LOG_DAYS and keeps the rest', async () => {
    const day = 86_400_000;
    const at = (ago: number) => new Date(now - ago).toISOString();
    const old = Array.from({ length: 1201 }, (_, i) => ({ id: `old-${i}`, at: at(91 * day + i), outcome: 'failure', way: 'bearer', address: '10.0.0.1' }));
    const kept = { id: 'kept', at: at(89 * day), outcome: 'failure', way: 'bearer', address: '10.0.0.1' };
    await store.write([...old, kept].map((doc) => ({ collection: AUTH_EVENTS, op: 'upsert' as const, doc })));

    expect(await signIns.prune()).toBe(1201);
    expect((await records()).map((d) => d.id)).toEqual(['kept']);
  });
});
