import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { loadSettings, type Settings } from '../config/settings.js';
import { DomainError, ThrottledError } from '../core/errors.js';
import { decideAndAppend } from '../core/write-path.js';
import { SqliteEventStore } from '../infrastructure/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../infrastructure/sqlite/sqlite-read-store.js';
import { IdentityService } from './identity.service.js';
import { JwtClock, JwtTokens } from './jwt.js';
import { SignIns } from './sign-ins.js';
import { userDecider, userStream } from './user.decider.js';
import { CreateUser, createUser } from './users.commands.js';

const SECRET = 'a-test-secret-of-at-least-32-characters';
const PASSWORD = 'correct horse battery staple';
const ctx = () => ({ actor: 'test', correlationId: 'test', commandId: randomUUID(), clock: () => new Date() });

/** A clock the tests move. */
class MovableClock extends JwtClock {
  at = Date.parse('2026-11-23T08:00:00.000Z');
  override now(): Date {
    return new Date(this.at);
  }
}

let dir: string;
let events: SqliteEventStore;
let reads: SqliteReadStore;
let clock: MovableClock;
let identity: IdentityService;
let signIns: SignIns;
let userId: string;

const jwts = (ttl = 600, secret = SECRET) => new JwtTokens({ jwtSecret: secret, jwtTtlSeconds: ttl }, events, identity, signIns, clock);
const from = { way: 'etlworks-login', address: '10.0.0.1' };
const refusal = (promise: Promise<unknown>) => promise.then(() => 'accepted', (e: unknown) => (e instanceof DomainError ? `${e.code}: ${e.message}` : String(e)));

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-jwt-'));
  events = new SqliteEventStore(join(dir, 'events.db'));
  reads = new SqliteReadStore(join(dir, 'read-models.db'));
  clock = new MovableClock();
  signIns = new SignIns(reads, { authLogDays: 90 }, () => new Date(clock.at));
  await signIns.onModuleInit();
  identity = new IdentityService({ adminToken: 'bootstrap-token-for-tests' } as Settings, events, signIns);
  userId = randomUUID();
  await createUser(events, new CreateUser(userId, { login: 'ada', password: PASSWORD, roles: ['Administrator'] }, ctx()));
});

afterEach(async () => {
  await events.close();
  await reads.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('JWTs for users', () => {
  it('issues an HS256 token for a login and password that resolves to the user, expiring after the TTL', async () => {
    const { token, principal, expiresAt } = await jwts().issue('ada', PASSWORD, from);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: 'sluice', sub: userId, login: 'ada' });
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(JSON.stringify(claims)).not.toContain(PASSWORD);
    expect(principal).toMatchObject({ actor: 'user:ada', kind: 'user', roles: ['Administrator'] });
    expect(expiresAt).toBe('2026-11-23T08:10:00.000Z');
    expect(await jwts().verify(token)).toEqual({ actor: 'user:ada', kind: 'user', id: userId, name: 'ada', roles: ['Administrator'], expiresAt });
  });

  it('refuses a token from its expiry on, by the clock it is checked with', async () => {
    const { token } = await jwts().issue('ada', PASSWORD, from);
    clock.at += 599_000;
    await expect(jwts().verify(token)).resolves.toMatchObject({ actor: 'user:ada' });
    clock.at += 1_000;
    expect(await refusal(jwts().verify(token))).toBe('UNAUTHORIZED: The token has expired');
  });

  it('takes its TTL from the settings, and a lowered TTL also ends tokens issued before it', async () => {
    const short = await jwts(60).issue('ada', PASSWORD, from);
    const long = await jwts(600).issue('ada', PASSWORD, from);
    expect(decodeJwt(short.token).exp! - decodeJwt(short.token).iat!).toBe(60);
    clock.at += 61_000;
    expect(await refusal(jwts(60).verify(short.token))).toBe('UNAUTHORIZED: The token has expired');
    await expect(jwts(600).verify(long.token)).resolves.toMatchObject({ actor: 'user:ada' });
    expect(await refusal(jwts(60).verify(long.token))).toBe('UNAUTHORIZED: The token has expired');
  });

  it('refuses forged, tampered, unsigned and malformed tokens', async () => {
    const { token } = await jwts().issue('ada', PASSWORD, from);
    const now = Math.floor(clock.at / 1000);
    const claims = { login: 'ada', iss: 'sluice', sub: userId, iat: now, exp: now + 600 };
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('another-secret-of-at-least-32-chars!'));
    expect(await refusal(jwts().verify(forged))).toBe("UNAUTHORIZED: The token's signature is not valid");
    // the payload of another user, with the signature of ada's token
    const [header, , signature] = token.split('.');
    const other = Buffer.from(JSON.stringify({ ...claims, sub: randomUUID() })).toString('base64url');
    expect(await refusal(jwts().verify(`${header}.${other}.${signature}`))).toBe("UNAUTHORIZED: The token's signature is not valid");
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    expect(await refusal(jwts().verify(none))).toMatch(/^UNAUTHORIZED: The token (must be signed with HS256|is not a valid JWT)$/);
    const otherIssuer = await new SignJWT({ ...claims, iss: 'someone' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    expect(await refusal(jwts().verify(otherIssuer))).toMatch(/^UNAUTHORIZED: The token's iss claim is not valid/);
    for (const garbage of ['not-a-jwt', 'a.b.c', '', `${token}x`]) expect(await refusal(jwts().verify(garbage))).toMatch(/^UNAUTHORIZED: /);
  });

  it("reads the user at every use: a changed role holds at once, a disabled user's token stops working", async () => {
    const { token } = await jwts().issue('ada', PASSWORD, from);
    await decideAndAppend(events, userStream(userId), userDecider, { type: 'ChangeUser', data: { roles: ['Viewer'] } }, ctx());
    await expect(jwts().verify(token)).resolves.toMatchObject({ roles: ['Viewer'] });
    await decideAndAppend(events, userStream(userId), userDecider, { type: 'ChangeUser', data: { disabled: true } }, ctx());
    expect(await refusal(jwts().verify(token))).toBe('UNAUTHORIZED: The user ada is disabled');
  });

  it('issues nothing for a wrong login or password, and throttles like every sign-in', async () => {
    expect(await refusal(jwts().issue('ada', 'wrong password', from))).toBe('UNAUTHORIZED: The login or password is not valid');
    expect(await refusal(jwts().issue('nobody', PASSWORD, from))).toBe('UNAUTHORIZED: The login or password is not valid');
    for (let i = 0; i < 8; i++) await jwts().issue('ada', `wrong ${i}`, from).catch(() => undefined);
    await expect(jwts().issue('ada', PASSWORD, from)).rejects.toBeInstanceOf(ThrottledError);
    // bad tokens count as failed sign-ins of their address too
    const elsewhere = { way: 'etlworks-bearer', address: '10.0.0.2' };
    for (let i = 0; i < 10; i++) await expect(jwts().authenticate(`forged-${i}`, elsewhere)).rejects.toThrow('not a valid JWT');
    await expect(jwts().authenticate('forged', elsewhere)).rejects.toBeInstanceOf(ThrottledError);
  });
});

describe('JWT settings', () => {
  const env = (more: Record<string, string> = {}) => loadSettings({ SLUICE_DATA_DIR: join(dir, 'data'), SLUICE_ADMIN_TOKEN: 't', ...more });

  it('generates a secret into the data dir once and keeps it; SLUICE_JWT_SECRET overrides it', () => {
    const first = env();
    expect(first.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(dir, 'data', 'jwt-secret'), 'utf8').trim()).toBe(first.jwtSecret);
    expect(env().jwtSecret).toBe(first.jwtSecret);
    expect(env({ SLUICE_JWT_SECRET: SECRET }).jwtSecret).toBe(SECRET);
    expect(() => env({ SLUICE_JWT_SECRET: 'too-short' })).toThrow(/SLUICE_JWT_SECRET must be at least 32 characters/);
  });

  it('reads SLUICE_JWT_TTL in seconds, 600 by default', () => {
    expect(env().jwtTtlSeconds).toBe(600);
    expect(env({ SLUICE_JWT_TTL: '60' }).jwtTtlSeconds).toBe(60);
    expect(() => env({ SLUICE_JWT_TTL: '1.5' })).toThrow(/SLUICE_JWT_TTL must be a whole number/);
    expect(() => env({ SLUICE_JWT_TTL: '0' })).toThrow(/SLUICE_JWT_TTL/);
  });
});
