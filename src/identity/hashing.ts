import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares two secrets in constant time (their SHA-256 digests, so lengths leak nothing either). */
export function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
