import type { Doc } from '../core/read-store.js';
import type { Role } from './roles.js';

/** A user as answers show it: never the password or its hash. */
export interface UserDoc extends Doc {
  login: string;
  roles: Role[];
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** A token as answers show it: never the token or its hash. */
export interface TokenDoc extends Doc {
  name: string;
  roles: Role[];
  scope: string | null;
  expiresAt: string | null;
  createdAt: string;
  createdBy: string;
  revoked: boolean;
  revokedAt: string | null;
}

/** When a token was last used to sign in: written by the sign-in log, `{ id: <tokenId>, lastUsedAt }`. */
export interface TokenUseDoc extends Doc {
  lastUsedAt: string;
}

export const USERS = 'users';
export const TOKENS = 'tokens';
export const TOKEN_USE = 'token_use';
