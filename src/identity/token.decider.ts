import type { Decider } from '../core/decider.js';
import { DomainError } from '../core/errors.js';
import type { DomainEvent } from '../core/events.js';
import { checkRoles } from './identity.rules.js';
import type { Role } from './roles.js';

export interface TokenDefinition {
  tokenId: string;
  name: string;
  roles: Role[];
  /** SHA-256 hex of the token: the token itself is never stored. */
  tokenHash: string;
  expiresAt?: string;
  /** One resource the token may act on, `<kind>:<id>`, e.g. `job:<uuid>` or `datasync:<id>`. */
  scope?: string;
}

export type TokenCommand =
  /** `at`: when it is asked, so an expiry in the past is refused without a clock in here. */
  | { type: 'CreateToken'; data: TokenDefinition & { at: string } }
  | { type: 'RevokeToken'; data: Record<string, never> };

export type TokenEvent =
  | DomainEvent<'TokenCreated', TokenDefinition>
  | DomainEvent<'TokenRevoked', { tokenId: string }>
  /** Written where a name was claimed but the token never created, so a slow original create cannot land any more. */
  | DomainEvent<'TokenAbandoned', { tokenId: string }>;

export type TokenState = { status: 'none' } | { status: 'abandoned' } | ({ status: 'active' | 'revoked' } & TokenDefinition);

export const tokenStream = (tokenId: string) => `token-${tokenId}`;
/** Keeps token names unique forever (revoked ones too), so `token:<name>` in the audit always means one token. */
export const tokenNameStream = (name: string) => `token-name-${name}`;
/** Finds a token's id from its hash in two small reads, with no read model to lag behind a revoke. */
export const tokenHashStream = (tokenHash: string) => `token-hash-${tokenHash}`;

export const TOKEN_NAME = /^[A-Za-z0-9._@-]{1,64}$/;
export const SCOPE = /^[a-z][a-z0-9_-]{0,31}:[A-Za-z0-9._@:-]{1,128}$/;
/** The bootstrap credential's name (`token:admin`). */
export const RESERVED_TOKEN_NAME = 'admin';

export const tokenDecider: Decider<TokenState, TokenCommand, TokenEvent> = {
  initialState: { status: 'none' },
  decide(command, state) {
    switch (command.type) {
      case 'CreateToken': {
        if (state.status !== 'none') throw new DomainError('CONCURRENCY.CONFLICT', `Token ${command.data.tokenId} was already written; try again`);
        const { at, ...token } = command.data;
        return [{ type: 'TokenCreated', data: checkToken(token, at) }];
      }
      case 'RevokeToken':
        if (state.status === 'none' || state.status === 'abandoned') throw new DomainError('TOKEN.NOT_FOUND', 'Token not found');
        return state.status === 'revoked' ? [] : [{ type: 'TokenRevoked', data: { tokenId: state.tokenId } }];
      default: {
        const _exhaustive: never = command;
        return _exhaustive;
      }
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'TokenCreated':
        return { status: 'active', ...event.data };
      case 'TokenRevoked':
        return state.status === 'active' ? { ...state, status: 'revoked' } : state;
      case 'TokenAbandoned':
        return state.status === 'none' ? { status: 'abandoned' } : state;
      default:
        // An event of another kind (its stream was not this decider's): it changes nothing here.
        return state;
    }
  },
};

function checkToken({ tokenId, name, roles, tokenHash, expiresAt, scope }: TokenDefinition, at: string): TokenDefinition {
  if (typeof name !== 'string' || !TOKEN_NAME.test(name)) {
    throw new DomainError('VALIDATION', 'name must be 1 to 64 characters of A-Z, a-z, 0-9, ".", "_", "@" and "-"', 'name');
  }
  if (name.toLowerCase() === RESERVED_TOKEN_NAME) throw new DomainError('TOKEN.NAME_TAKEN', `The name ${name} is reserved for the bootstrap token`, 'name');
  if (scope !== undefined && (typeof scope !== 'string' || !SCOPE.test(scope))) {
    throw new DomainError('VALIDATION', 'scope must be <kind>:<id>, e.g. job:0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21', 'scope');
  }
  const definition: TokenDefinition = { tokenId, name, roles: checkRoles(roles), tokenHash };
  if (expiresAt !== undefined) {
    const time = typeof expiresAt === 'string' ? Date.parse(expiresAt) : NaN;
    if (Number.isNaN(time)) throw new DomainError('VALIDATION', 'expires_at must be an ISO 8601 time', 'expires_at');
    if (time <= Date.parse(at)) throw new DomainError('VALIDATION', `expires_at must be in the future (it is ${at} now)`, 'expires_at');
    definition.expiresAt = new Date(time).toISOString();
  }
  if (scope !== undefined) definition.scope = scope;
  return definition;
}

/** Why a token no longer works at `now`, or undefined while it does: expiry is a matter of the real clock, not an event. */
export function tokenRefusal(state: TokenState, now: Date): string | undefined {
  if (state.status === 'none' || state.status === 'abandoned') return 'The token is not valid';
  if (state.status === 'revoked') return 'The token was revoked';
  if (state.expiresAt !== undefined && Date.parse(state.expiresAt) <= now.getTime()) return `The token has expired (at ${state.expiresAt})`;
  return undefined;
}
