import type { Role } from './roles.js';

/** Who a request acts as, once its credential is resolved. Never holds a secret. */
export interface Principal {
  /** What events record: `user:<login>` or `token:<name>` (the bootstrap token is `token:admin`). */
  actor: string;
  kind: 'user' | 'token';
  /** The user's or token's id (`admin` for the bootstrap token). */
  id: string;
  /** The login or the token's name. */
  name: string;
  roles: Role[];
  /** A token scoped to one resource, e.g. `datasync:<id>`; such a token may act on that resource only. */
  scope?: string;
  /** ISO time after which a token stops working. */
  expiresAt?: string;
}

/**
 * A credential as a dialect found it. `way` says how it was presented (`x-cdata-authtoken`, `@authtoken`,
 * `bearer`, `basic`, …) for the sign-in log; the identity store does not care which.
 */
export type Credential =
  | { kind: 'token'; way: string; token: string }
  | {
      kind: 'password';
      way: string;
      login: string;
      password: string;
      /** CData accepts Basic with any user name and a token as the password. */
      tokenAsPassword?: boolean;
    };

/** One attempt to sign in: the credential and the client address it came from. */
export interface SignInAttempt {
  credential: Credential;
  address: string;
}
