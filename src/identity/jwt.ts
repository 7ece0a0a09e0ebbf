import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { errors, jwtVerify, SignJWT } from 'jose';
import { SETTINGS, type Settings } from '../config/settings.js';
import { DomainError } from '../core/errors.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { loadState } from '../core/write-path.js';
import { IdentityService } from './identity.service.js';
import type { Principal } from './principal.js';
import { SignIns } from './sign-ins.js';
import { userDecider, userStream } from './user.decider.js';

const ISSUER = 'sluice';
const ALGORITHM = 'HS256';

/** The time JWTs are issued and checked at: a provider of its own so tests can move it instead of waiting. */
@Injectable()
export class JwtClock {
  now(): Date {
    return new Date();
  }
}

export interface IssuedJwt {
  token: string;
  principal: Principal;
  /** ISO time the token stops working. */
  expiresAt: string;
}

const unauthorized = (message: string) => new DomainError('UNAUTHORIZED', message);

/**
 * Short-lived JWTs (HS256, SLUICE_JWT_SECRET) for users, as the Etlworks dialect gives them out. A token
 * names its user by id; each use reads the user's stream again, so a disabled user or a changed role holds
 * on the next request, whatever the token says. Issuing is a password sign-in and each use a token sign-in:
 * both go through SignIns, throttled and logged like every other.
 */
@Injectable()
export class JwtTokens {
  private readonly key: Uint8Array;

  constructor(
    @Inject(SETTINGS) private readonly settings: Pick<Settings, 'jwtSecret' | 'jwtTtlSeconds'>,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly identity: IdentityService,
    private readonly signIns: SignIns,
    private readonly clock: JwtClock,
  ) {
    this.key = new TextEncoder().encode(settings.jwtSecret);
  }

  /** A token for the user with this login and password; UNAUTHORIZED when they are wrong, ThrottledError after too many. */
  async issue(login: string, password: string, presented: { way: string; address: string }): Promise<IssuedJwt> {
    const principal = await this.identity.authenticate({ credential: { kind: 'password', way: presented.way, login, password }, address: presented.address });
    const issuedAt = Math.floor(this.clock.now().getTime() / 1000);
    const expires = issuedAt + this.settings.jwtTtlSeconds;
    const token = await new SignJWT({ login: principal.name })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject(principal.id)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expires)
      .setJti(randomUUID())
      .sign(this.key);
    return { token, principal, expiresAt: new Date(expires * 1000).toISOString() };
  }

  /** The user a presented token belongs to, as a throttled and logged sign-in. */
  authenticate(token: string, presented: { way: string; address: string }): Promise<Principal> {
    return this.signIns.attempt({ credential: { kind: 'token', way: presented.way, token }, address: presented.address }, () => this.verify(token));
  }

  /** The token's user as the user's stream has them now; UNAUTHORIZED for a token that is malformed, forged, expired or whose user is gone. */
  async verify(token: string): Promise<Principal> {
    const { payload } = await jwtVerify(token, this.key, {
      algorithms: [ALGORITHM],
      issuer: ISSUER,
      currentDate: this.clock.now(),
      // Also caps tokens issued before SLUICE_JWT_TTL was lowered, and refuses an `iat` in the future.
      maxTokenAge: this.settings.jwtTtlSeconds,
      requiredClaims: ['sub', 'iat', 'exp'],
    }).catch(refusal);
    if (typeof payload.sub !== 'string' || !payload.sub) throw unauthorized("The token's sub claim is not a user id");
    const { state } = await loadState(this.store, userStream(payload.sub), userDecider);
    if (state.status !== 'active') throw unauthorized("The token's user does not exist");
    if (state.disabled) throw unauthorized(`The user ${state.login} is disabled`);
    return {
      actor: `user:${state.login}`,
      kind: 'user',
      id: state.userId,
      name: state.login,
      roles: state.roles,
      expiresAt: new Date(payload.exp! * 1000).toISOString(),
    };
  }
}

/** Why jose refused a token, in words; anything else (a bug) stays what it was. */
function refusal(error: unknown): never {
  if (error instanceof errors.JWTExpired) throw unauthorized('The token has expired');
  if (error instanceof errors.JWSSignatureVerificationFailed) throw unauthorized("The token's signature is not valid");
  if (error instanceof errors.JOSEAlgNotAllowed) throw unauthorized(`The token must be signed with ${ALGORITHM}`);
  if (error instanceof errors.JWTClaimValidationFailed) throw unauthorized(`The token's ${error.claim} claim is not valid: ${error.message}`);
  if (error instanceof errors.JOSEError) throw unauthorized('The token is not a valid JWT');
  throw error;
}
