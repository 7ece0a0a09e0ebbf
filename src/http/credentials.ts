import type { Request } from 'express';
import type { Credential } from '../identity/principal.js';

/** One way a dialect lets a client present a credential, and how to name it in a 401. */
export interface Presentation {
  describe: string;
  find(req: Request): Credential | undefined;
}

export const tokenHeader = (name: string): Presentation => ({
  describe: `the ${name} header`,
  find: (req) => {
    const value = req.headers[name.toLowerCase()];
    return typeof value === 'string' && value ? { kind: 'token', way: name, token: value } : undefined;
  },
});

export const tokenQuery = (name: string): Presentation => ({
  describe: `the ${name} query parameter`,
  find: (req) => {
    const value = req.query[name];
    return typeof value === 'string' && value ? { kind: 'token', way: name, token: value } : undefined;
  },
});

export const bearer: Presentation = {
  describe: 'Authorization: Bearer <token>',
  find: (req) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    return match ? { kind: 'token', way: 'bearer', token: match[1] } : undefined;
  },
};

/** HTTP Basic with a login and password; `tokenAsPassword` also takes a token as the password under any user name. */
export const basic = (options: { tokenAsPassword?: boolean } = {}): Presentation => ({
  describe: options.tokenAsPassword ? 'HTTP Basic (login and password, or any name and a token)' : 'HTTP Basic (login and password)',
  find: (req) => {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) return undefined;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    return { kind: 'password', way: 'basic', login: decoded.slice(0, colon), password: decoded.slice(colon + 1), ...options };
  },
});

/** The first credential any of the ways finds. */
export function presentedCredential(ways: readonly Presentation[], req: Request): Credential | undefined {
  for (const way of ways) {
    const found = way.find(req);
    if (found) return found;
  }
  return undefined;
}
