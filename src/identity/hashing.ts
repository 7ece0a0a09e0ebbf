import { hash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { DomainError } from '../core/errors.js';

export const sha256 = (text: string): Buffer => hash('sha256', text, 'buffer');

/** Compares two secrets in constant time (their SHA-256 digests, so lengths leak nothing either). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

export const sha256Hex = (text: string): string => sha256(text).toString('hex');

/** Two SHA-256 hex digests compared in constant time. */
export function sameHash(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a, 'hex'), Buffer.from(b, 'hex')];
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}

/** A new API token: 32 random bytes, base64url, with a prefix that secret scanners can look for. */
export const newToken = (): string => `slc_${randomBytes(32).toString('base64url')}`;

export const PASSWORD_LENGTH = { min: 8, max: 1024 } as const;

export function checkPasswordLength(password: string): void {
  if (typeof password !== 'string' || password.length < PASSWORD_LENGTH.min || password.length > PASSWORD_LENGTH.max) {
    throw new DomainError('VALIDATION', `password must be ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters long`, 'password');
  }
}

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;
const KEY_LENGTH = 32;
const COST = { ln: 15, r: 8, p: 1 };
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

const derive = (password: string, salt: Buffer, { ln, r, p }: typeof COST, keylen: number) =>
  // 128·N·r bytes of memory: 32 MiB at ln=15, r=8, which is exactly node's default limit, so raise it.
  scryptAsync(password, salt, keylen, { N: 2 ** ln, r, p, maxmem: 256 * 2 ** ln * r + 1024 * 1024 });

/** A scrypt hash in a PHC-like string: `$scrypt$ln=15,r=8,p=1$<salt b64>$<hash b64>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, COST, KEY_LENGTH);
  return `$scrypt$ln=${COST.ln},r=${COST.r},p=${COST.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Whether the password matches the stored hash, compared in constant time; false for a hash it cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = PHC.exec(stored);
  if (!match) return false;
  const [ln, r, p] = match.slice(1, 4).map(Number);
  if (ln < 10 || ln > 20 || r < 1 || p < 1) return false;
  const expected = Buffer.from(match[5], 'base64');
  if (expected.length < 16) return false;
  const actual = await derive(password, Buffer.from(match[4], 'base64'), { ln, r, p }, expected.length);
  return timingSafeEqual(actual, expected);
}
