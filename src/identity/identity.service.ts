import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SETTINGS, type Settings } from '../config/settings.js';
import { DomainError } from '../core/errors.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { loadState } from '../core/write-path.js';
import { sameHash, sha256 } from './hashing.js';
import { PasswordChecks } from './password-checks.js';
import type { Credential, Principal, SignInAttempt } from './principal.js';
import { tokenDecider, tokenHashStream, tokenRefusal, tokenStream } from './token.decider.js';
import { currentOwner } from './unique-claims.js';
import { LOGIN, loginStream, userDecider, userStream } from './user.decider.js';
import { SignIns } from './sign-ins.js';

/** The bootstrap credential: SLUICE_ADMIN_TOKEN or the generated one. */
export const BOOTSTRAP_TOKEN: Omit<Principal, 'roles'> & { roles: ['Administrator'] } = {
  actor: 'token:admin',
  kind: 'token',
  id: 'admin',
  name: 'admin',
  roles: ['Administrator'],
};

/** The config file's `server.admin_token`: Jitsu's admin token, which starts and cancels sync tasks. */
export const CONFIG_TOKEN: Principal = { actor: 'token:config', kind: 'token', id: 'config', name: 'config', roles: ['Operator'] };

/** How many signed-in tokens' digests are kept. */
const RECENT_TOKENS = 1000;

const unauthorized = (message: string) => new DomainError('UNAUTHORIZED', message);

/** A refused credential is undefined; any other failure (a store that is down) stays a failure. */
const unlessUnauthorized = (error: unknown): undefined => {
  if (error instanceof DomainError && error.code === 'UNAUTHORIZED') return undefined;
  throw error;
};

/**
 * Resolves every dialect's credentials to a principal, from the users' and tokens' own streams (never a read
 * model), so a revoke or a disable holds on the very next request on every instance.
 */
@Injectable()
export class IdentityService {
  private readonly passwords = new PasswordChecks();
  /** The configured tokens' SHA-256 digests, computed once rather than at every request. */
  private readonly digests = new Map<string, Buffer>();
  /**
   * The digests of the tokens that signed in last, by token: hashing a busy client's token at each request cost
   * more than reading the job it asked for. Their principals are not kept: a revoked token fails at its next request.
   */
  private readonly recentDigests = new Map<string, Buffer>();

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly signIns: SignIns,
  ) {}

  /** The principal the credential belongs to; UNAUTHORIZED when it belongs to none, ThrottledError after too many failures. */
  authenticate(attempt: SignInAttempt): Promise<Principal> {
    return this.signIns.attempt(attempt, () => this.resolve(attempt.credential));
  }

  resolve(credential: Credential): Promise<Principal> {
    return credential.kind === 'token' ? this.tokenPrincipal(credential.token) : this.passwordPrincipal(credential);
  }

  private async passwordPrincipal(credential: Extract<Credential, { kind: 'password' }>): Promise<Principal> {
    if (credential.tokenAsPassword) {
      // Tried before the login: a token costs two small reads, a password check a KDF, and Basic comes with every
      // request. `curl -u <token>:` puts the token where the login goes: taken too.
      const principal = await this.tokenPrincipal(credential.password || credential.login).catch(unlessUnauthorized);
      if (principal) return principal;
    }
    if (!credential.password) throw unauthorized('The login or password is not valid');
    return this.userPrincipal(credential.login, credential.password);
  }

  private async tokenPrincipal(token: string): Promise<Principal> {
    if (!token) throw unauthorized('The token is empty');
    const digest = this.recentDigests.get(token) ?? sha256(token);
    const principal = this.configuredPrincipal(digest) ?? (await this.storedPrincipal(digest));
    this.recentDigests.delete(token);
    this.recentDigests.set(token, digest);
    if (this.recentDigests.size > RECENT_TOKENS) this.recentDigests.delete(this.recentDigests.keys().next().value!);
    return principal;
  }

  private configuredPrincipal(digest: Buffer): Principal | undefined {
    if (this.isConfigured(this.settings.adminToken, digest)) return BOOTSTRAP_TOKEN;
    const configToken = this.settings.declared?.adminToken;
    if (configToken && this.isConfigured(configToken, digest)) return CONFIG_TOKEN;
    return undefined;
  }

  private async storedPrincipal(digest: Buffer): Promise<Principal> {
    const tokenHash = digest.toString('hex');
    const tokenId = await currentOwner(this.store, { stream: tokenHashStream(tokenHash), ownerOf: (e) => (e.data as { tokenId: string }).tokenId });
    if (!tokenId) throw unauthorized('The token is not valid');
    const { state } = await loadState(this.store, tokenStream(tokenId), tokenDecider);
    const refusal = tokenRefusal(state, new Date());
    if (refusal || state.status !== 'active' || !sameHash(state.tokenHash, tokenHash)) throw unauthorized(refusal ?? 'The token is not valid');
    const { name, roles, scope, expiresAt } = state;
    return { actor: `token:${name}`, kind: 'token', id: tokenId, name, roles, ...(scope ? { scope } : {}), ...(expiresAt ? { expiresAt } : {}) };
  }

  /** Compares digests in constant time, so neither the token nor its length leaks. */
  private isConfigured(secret: string, presented: Buffer): boolean {
    let digest = this.digests.get(secret);
    if (!digest) this.digests.set(secret, (digest = sha256(secret)));
    return timingSafeEqual(digest, presented);
  }

  private async userPrincipal(login: string, password: string): Promise<Principal> {
    const refused = unauthorized('The login or password is not valid');
    const userId = LOGIN.test(login)
      ? await currentOwner(this.store, { stream: loginStream(login), ownerOf: (e) => (e.data as { userId: string }).userId })
      : undefined;
    const { state } = userId ? await loadState(this.store, userStream(userId), userDecider) : { state: userDecider.initialState };
    if (state.status !== 'active') {
      await this.passwords.burn(password);
      throw refused;
    }
    if (!(await this.passwords.verify(state.userId, password, state.passwordHash))) throw refused;
    if (state.disabled) throw unauthorized(`The user ${state.login} is disabled`);
    return { actor: `user:${state.login}`, kind: 'user', id: state.userId, name: state.login, roles: state.roles };
  }
}
