import { createHash } from 'node:crypto';
import { verifyPassword } from './hashing.js';

const REMEMBER_MS = 60_000;
const MAX_REMEMBERED = 10_000;
/** A valid hash of a password nobody knows: unknown logins cost a KDF too, so timing does not tell which logins exist. */
const NOBODY = '$scrypt$ln=15,r=8,p=1$c2x1aWNlLW5vYm9keQ==$cSp1yR4mMPTy/N0zWvB6dDCHJj5s6Z8nRkRCQuX3nV4=';

/**
 * Password checks with a short memory, so HTTP Basic on every request does not cost a KDF each time. A success
 * is remembered by sha256(user id, stored hash, password): a password change changes the stored hash, so a
 * remembered success can never outlive the password it was for.
 */
export class PasswordChecks {
  private readonly remembered = new Map<string, number>();

  async verify(userId: string, password: string, storedHash: string): Promise<boolean> {
    const key = createHash('sha256').update(`${userId}\u0000${storedHash}\u0000${password}`).digest('base64');
    const now = Date.now();
    const until = this.remembered.get(key);
    if (until !== undefined && until > now) return true;
    this.remembered.delete(key);
    if (!(await verifyPassword(password, storedHash))) return false;
    if (this.remembered.size >= MAX_REMEMBERED) this.forgetExpired(now);
    if (this.remembered.size >= MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value!);
    this.remembered.set(key, now + REMEMBER_MS);
    return true;
  }

  /** As slow as a real check, for a login that does not exist. */
  async burn(password: string): Promise<void> {
    await verifyPassword(password, NOBODY);
  }

  private forgetExpired(now: number): void {
    for (const [key, until] of this.remembered) if (until <= now) this.remembered.delete(key);
  }
}
