import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import type { Settings } from '../config/settings.js';
import { SETTINGS } from '../config/settings.js';
import { DomainError, ThrottledError } from '../core/errors.js';
import { type Doc, type DocWrite, type Filter, type Page, READ_STORE, type ReadStore } from '../core/read-store.js';
import { utcTime } from '../core/time.js';
import { systemClock } from '../core/write-path.js';
import { FailureWindow, RecentKeys } from './failure-window.js';
import type { Principal, SignInAttempt } from './principal.js';
import { LOGIN } from './user.decider.js';

export const AUTH_EVENTS = 'auth_events';
/** When each token was last used: `{id: <token id>, lastUsedAt}`, written with the coalesced success records. */
export const TOKEN_USE = 'token_use';
/** Overrides the clock SignIns reads (tests). */
export const SIGN_IN_CLOCK = Symbol('SignInClock');

export const SIGN_IN_OUTCOMES = ['success', 'failure', 'throttled'] as const;
export type SignInOutcome = (typeof SIGN_IN_OUTCOMES)[number];

/** One sign-in record. Never holds a password or a token. */
export interface AuthEventDoc extends Doc {
  at: string;
  outcome: SignInOutcome;
  /** The principal's actor, on success. */
  actor?: string;
  /** The login presented, for password credentials. */
  login?: string;
  /** How the credential was presented (`x-cdata-authtoken`, `bearer`, `basic`, …). */
  way: string;
  address: string;
  /** Why a failure failed or a throttled attempt was refused. */
  reason?: string;
}

export interface TokenUseDoc extends Doc {
  lastUsedAt: string;
}

export interface AuthEventQuery {
  outcome?: SignInOutcome;
  actor?: string;
  login?: string;
  address?: string;
  /** ISO 8601: records at or after. */
  since?: string;
  /** ISO 8601: records at or before. */
  until?: string;
  limit: number;
  cursor?: string;
}

/** Failed sign-ins a login or an address may have within the window before it is refused. */
const MAX_FAILURES = 10;
export const FAILURE_WINDOW_MS = 60_000;
/** A busy token would write a record per request: successes are recorded at most this often per actor, address and way. */
const SUCCESS_EVERY_MS = 60_000;
const PRUNE_EVERY_MS = 3_600_000;
/** An address a user signed in from stays exempt from that login's throttle this long: strangers cannot lock them out. */
const KNOWN_ADDRESS_MS = 86_400_000;
const PRUNE_BATCH = 500;
const DAY_MS = 86_400_000;

/**
 * Every sign-in goes through here: refused while its login or address has too many recent failures
 * (before the credential is checked), then recorded. Throttle and coalescing live in this instance's memory.
 */
@Injectable()
export class SignIns implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('SignIns');
  private readonly failures = new FailureWindow(MAX_FAILURES, FAILURE_WINDOW_MS);
  private readonly successes = new RecentKeys(SUCCESS_EVERY_MS);
  /** A flood of throttled attempts writes one record per key and window, not one per attempt. */
  private readonly throttledRecords = new RecentKeys(FAILURE_WINDOW_MS);
  private readonly knownAddresses = new RecentKeys(KNOWN_ADDRESS_MS);
  private timer?: NodeJS.Timeout;
  private pruning?: Promise<void>;

  constructor(
    @Inject(READ_STORE) private readonly store: ReadStore,
    @Inject(SETTINGS) private readonly settings: Pick<Settings, 'authLogDays'>,
    @Optional() @Inject(SIGN_IN_CLOCK) private readonly clock: () => Date = systemClock,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.store.ensureCollection(AUTH_EVENTS, [{ fields: ['at'] }]);
    await this.store.ensureCollection(TOKEN_USE, []);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.housekeeping();
    this.timer = setInterval(() => void this.housekeeping(), PRUNE_EVERY_MS).unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.pruning;
  }

  /** Resolves the attempt's credential with `resolve` unless its login or address is throttled, and records it. */
  async attempt(presented: SignInAttempt, resolve: () => Promise<Principal>): Promise<Principal> {
    const attempt = { ...presented, address: plainAddress(presented.address) };
    const at = this.clock();
    const now = at.getTime();
    const keys = throttleKeys(attempt).filter((key) => !key.login || !this.knownAddresses.has(`${key.id}\n${attempt.address}`, now));
    let [wait, throttled] = [0, keys[0]];
    for (const key of keys) {
      const after = this.failures.retryAfter(key.id, now);
      if (after > wait) [wait, throttled] = [after, key];
    }
    if (wait > 0) {
      const reason = `Too many failed sign-ins ${throttled.says}; try again in ${wait} s`;
      if (this.throttledRecords.claim(throttled.id, now)) await this.record([{ collection: AUTH_EVENTS, op: 'upsert', doc: record(attempt, at, 'throttled', { reason }) }]);
      throw new ThrottledError(reason, wait);
    }
    for (const key of keys) this.failures.begin(key.id);
    let principal: Principal;
    try {
      principal = await resolve();
    } catch (error) {
      const refused = error instanceof DomainError && error.code === 'UNAUTHORIZED';
      for (const key of keys) this.failures.end(key.id, refused ? now : undefined);
      if (refused) await this.record([{ collection: AUTH_EVENTS, op: 'upsert', doc: record(attempt, at, 'failure', { reason: error.message }) }]);
      throw error;
    }
    // Only the login's own password clears its count (a token sent as a Basic password under that login does
    // not), and the address it came from is known for a day. An address shared by many (a NAT, a proxy) keeps
    // the failures it had.
    const signedInAs = principal.kind === 'user' ? `login:${principal.name.toLowerCase()}` : undefined;
    for (const key of keys) {
      this.failures.end(key.id);
      if (key.id === signedInAs) this.failures.clear(key.id);
    }
    if (signedInAs) this.knownAddresses.claim(`${signedInAs}\n${attempt.address}`, now);
    // Most successes are not recorded (one a minute per actor, address and way): those do not wait a turn.
    const recording = this.recordSuccess(attempt, principal, at);
    if (recording) await recording;
    return principal;
  }

  /** Sign-in records, newest first. */
  list(query: AuthEventQuery): Promise<Page<AuthEventDoc>> {
    const filter: Filter = {};
    for (const field of ['outcome', 'actor', 'login', 'address'] as const) {
      if (query[field] !== undefined) filter[field] = query[field];
    }
    if (query.since || query.until) {
      filter.at = { ...(query.since && { $gte: utcTime(query.since, 'since') }), ...(query.until && { $lte: utcTime(query.until, 'until') }) };
    }
    return this.store.find<AuthEventDoc>(AUTH_EVENTS, { filter, sort: { field: 'at', order: -1 }, limit: query.limit, cursor: query.cursor });
  }

  /** Deletes the records older than SLUICE_AUTH_LOG_DAYS, a batch at a time; answers how many went. */
  async prune(): Promise<number> {
    const cutoff = new Date(this.clock().getTime() - this.settings.authLogDays * DAY_MS).toISOString();
    let removed = 0;
    for (;;) {
      const { items } = await this.store.find(AUTH_EVENTS, { filter: { at: { $lt: cutoff } }, sort: { field: 'at', order: 1 }, limit: PRUNE_BATCH });
      if (!items.length) return removed;
      await this.store.write(items.map((doc) => ({ collection: AUTH_EVENTS, op: 'delete', id: doc.id })));
      removed += items.length;
    }
  }

  /** Never throws: a read store that cannot delete now is tried again in an hour. */
  private housekeeping(): Promise<void> {
    const now = this.clock().getTime();
    this.failures.sweep(now);
    this.successes.sweep(now);
    this.throttledRecords.sweep(now);
    this.knownAddresses.sweep(now);
    this.pruning ??= this.prune()
      .then((removed) => {
        if (removed) this.logger.log(`Deleted ${removed} sign-in record(s) older than ${this.settings.authLogDays} days (SLUICE_AUTH_LOG_DAYS)`);
      })
      .catch((error) => this.logger.warn(`Could not delete old sign-in records: ${(error as Error).message}`))
      .finally(() => (this.pruning = undefined));
    return this.pruning;
  }

  private recordSuccess(attempt: SignInAttempt, principal: Principal, at: Date): Promise<void> | undefined {
    if (!this.successes.claim(`${principal.actor}\n${attempt.address}\n${attempt.credential.way}`, at.getTime())) return undefined;
    const writes: DocWrite[] = [{ collection: AUTH_EVENTS, op: 'upsert', doc: record(attempt, at, 'success', { actor: principal.actor }) }];
    if (principal.kind === 'token') writes.push({ collection: TOKEN_USE, op: 'upsert', doc: { id: principal.id, lastUsedAt: at.toISOString() } });
    return this.record(writes);
  }

  /** A sign-in answers the same whether or not its record could be written. */
  private async record(writes: DocWrite[]): Promise<void> {
    try {
      await this.store.write(writes);
    } catch (error) {
      this.logger.warn(`Could not record a sign-in: ${(error as Error).message}`);
    }
  }
}

/** An IPv4 client of a dual-stack server shows as `::ffff:10.0.0.7`: counted, recorded and filtered as `10.0.0.7`. */
const plainAddress = (address: string) => (address.startsWith('::') ? address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '') : address);

/** A token mistyped into the login field (`curl -u <token>:`) must not be recorded: such a login is never shown. */
const loginOf = (credential: SignInAttempt['credential']) =>
  credential.kind === 'password' && LOGIN.test(credential.login) && !credential.login.startsWith('slc_') ? credential.login : undefined;

/**
 * The address's key, and the login's for a password credential whose login could be one. An IPv6 client is
 * counted by its /64, the block one host is usually given, or it could change address at every attempt.
 */
function throttleKeys({ credential, address }: SignInAttempt): Array<{ id: string; says: string; login?: true }> {
  const block = address.includes(':') ? ipv6Block(address) : address;
  const keys: Array<{ id: string; says: string; login?: true }> = [{ id: `address:${block}`, says: `from ${block}` }];
  const login = loginOf(credential);
  if (login) keys.push({ id: `login:${login.toLowerCase()}`, says: `for login ${login}`, login: true });
  return keys;
}

/** `2001:db8:1:2::7` → `2001:db8:1:2::/64`. */
function ipv6Block(address: string): string {
  const [head, tail] = address.replace(/%.*$/, '').split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => parseInt(g || '0', 16).toString(16)).join(':')}::/64`;
}

function record(
  { credential, address }: SignInAttempt,
  at: Date,
  outcome: SignInOutcome,
  more: { actor?: string; reason?: string },
): AuthEventDoc {
  const login = loginOf(credential);
  const presented = credential.kind === 'password' ? { login: login ?? '(not a login)' } : {};
  return { id: recordId(), at: at.toISOString(), outcome, ...more, ...presented, way: credential.way, address };
}

let recorded = 0;
/** Unique, and increasing within an instance: records of the same millisecond list in the order they happened. */
const recordId = () => `${(recorded++).toString(36).padStart(10, '0')}-${randomUUID()}`;
