import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomainError } from '../core/errors.js';
import { WrongExpectedRevisionError } from '../core/event-store.js';
import { type CommandContext, toNewEvent } from '../core/write-path.js';
import { SqliteEventStore } from '../infrastructure/sqlite/sqlite-event-store.js';
import { ensureAdminUser } from './admin-bootstrap.js';
import { hashPassword, verifyPassword } from './hashing.js';
import { CreateUser, createUser } from './users.commands.js';

const ctx = (): CommandContext => ({ actor: 'token:admin', correlationId: 'test', commandId: randomUUID(), clock: () => new Date() });
const errorOf = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);

describe('unique logins and the admin user, on a real event store', () => {
  let dir: string;
  let store: SqliteEventStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-identity-'));
    store = new SqliteEventStore(join(dir, 'events.db'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const create = (login: string, userId = randomUUID()) => createUser(store, new CreateUser(userId, { login, password: 'correct horse', roles: ['Viewer'] }, ctx()));
  const types = async (stream: string) => (await store.readStream(stream)).map((e) => e.type);

  it('keeps a login unique whatever its case', async () => {
    await create('bob');
    const error = await errorOf(create('BOB'));
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('USER.LOGIN_TAKEN');
  });

  it('takes over a login whose claimed user was never written, and fences that user so its slow create fails', async () => {
    const ghost = randomUUID();
    await store.append('login-carol', [toNewEvent({ type: 'LoginClaimed', data: { login: 'carol', userId: ghost } }, ctx(), 'claim')], 'no_stream');
    const { id } = await create('carol');
    expect(await types(`user-${ghost}`)).toEqual(['UserAbandoned']);
    expect((await store.readLast('login-carol'))?.data).toEqual({ login: 'carol', userId: id });
    const slow = toNewEvent({ type: 'UserCreated', data: { userId: ghost, login: 'carol', passwordHash: 'x', roles: ['Viewer'] } }, ctx(), 'late');
    await expect(store.append(`user-${ghost}`, [slow], 'no_stream')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    expect((await errorOf(create('carol'))) as DomainError).toMatchObject({ code: 'USER.LOGIN_TAKEN' });
  });

  it('creates the admin user once when two instances start together, and appends nothing on a restart with the same password', async () => {
    const outcomes = await Promise.all([ensureAdminUser(store, 'first password', ctx()), ensureAdminUser(store, 'first password', ctx())]);
    expect(outcomes.sort()).toEqual(['created', 'unchanged']);
    const userId = ((await store.readLast('login-admin'))!.data as { userId: string }).userId;
    const before = await types(`user-${userId}`);
    expect(before).toEqual(['UserCreated']);
    expect(await ensureAdminUser(store, 'first password', ctx())).toBe('unchanged');
    expect(await types(`user-${userId}`)).toEqual(before);
    expect(await ensureAdminUser(store, 'second password', ctx())).toBe('updated');
    expect(await types(`user-${userId}`)).toEqual(['UserCreated', 'UserPasswordChanged']);
  });

  it('hashes passwords with scrypt in a PHC-like string and verifies only the right one', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(hash).not.toContain('correct horse');
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horsf', hash)).toBe(false);
    expect(await verifyPassword('correct horse', 'plain text')).toBe(false);
  });
});
