import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { DomainError } from './errors.js';

/** The key new secrets are sealed with, and every key (current and retired) that may open old ones, by id. */
export interface Keyring {
  currentId: string;
  keys: Map<string, Buffer>;
}

/** A secret as events hold it: AES-256-GCM under a key id, beside the masked text that answers show. */
export interface SealedSecret {
  sealed: string;
  masked: string;
}

/** A secret from an event written before secrets were sealed (schema version 1), as the upcaster marks it. */
export interface PlainSecret {
  plain: string;
  masked: string;
}

export type SecretValue = SealedSecret | PlainSecret;

const ALGORITHM = 'aes-256-gcm';
export const MASK = '****';
/** Keys whose values are secrets: password, secret, token, key (api_key, private_key, …), and hashes of secrets (passwordHash). */
const SECRET_KEY = /(pass(word)?|passwd|pwd|secret|token|(^|[_-])key|apikey|privatekey|hash)$/i;
/** `scheme://user:password@` in a URL, wherever it appears in a text. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):([^\s@]*)@/gi;
/** `password=…` in a keyword/value connection string. */
const KEYWORD_PASSWORD = /\b(password|pwd)=([^\s&;]+)/gi;

export const isSecretKey = (key: string) => SECRET_KEY.test(key);

/** A key's id is derived from the key itself, so rotating needs no id to be chosen or kept. */
export const keyId = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 12);

export function keyring(current: Buffer, retired: Buffer[] = []): Keyring {
  const keys = new Map([current, ...retired].map((k) => [keyId(k), k]));
  return { currentId: keyId(current), keys };
}

export function isSecretValue(value: unknown): value is SecretValue {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.masked === 'string' && (typeof v.sealed === 'string' || typeof v.plain === 'string');
}

/** The text with every URL password and `password=` value replaced by ****. */
export function maskSecrets(text: string): string {
  return text.replace(URL_PASSWORD, `$1:${MASK}@`).replace(KEYWORD_PASSWORD, `$1=${MASK}`);
}

/** True when a settings value must be sealed: a secret-named key, or a URL that carries a password. */
export function needsSealing(key: string, value: unknown): value is string {
  return typeof value === 'string' && (isSecretKey(key) || maskSecrets(value) !== value);
}

/** What answers show for one secret. */
export const maskedForm = (key: string, value: string) => (isSecretKey(key) ? MASK : maskSecrets(value));

export function seal(ring: Keyring, key: string, value: string): SealedSecret {
  const iv = randomBytes(12);
  const cipher = createCipheriv(ALGORITHM, ring.keys.get(ring.currentId)!, iv);
  const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  const parts = [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url'));
  return { sealed: `${ALGORITHM}:${ring.currentId}:${parts.join(':')}`, masked: maskedForm(key, value) };
}

/** The plain text of a setting: sealed secrets are decrypted, plain ones (and non-secrets) answered as they are. */
export function reveal(ring: Keyring, value: unknown): unknown {
  if (!isSecretValue(value)) return value;
  if ('plain' in value) return value.plain;
  const [algorithm, id, iv, tag, data] = value.sealed.split(':');
  const key = ring.keys.get(id);
  if (algorithm !== ALGORITHM || !key) {
    throw new DomainError(
      'CONNECTION.SECRET_KEY_MISSING',
      `A connection secret was sealed with key ${id}, which is not configured: set it in SLUICE_SECRET_KEY or SLUICE_SECRET_KEYS_OLD`,
    );
  }
  const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
}

function revealOrUndefined(ring: Keyring, value: SecretValue): string | undefined {
  try {
    return String(reveal(ring, value));
  } catch {
    return undefined;
  }
}

export function revealSettings(ring: Keyring, settings: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, reveal(ring, v)]));
}

/** Settings as answers show them: secrets masked, whether sealed, marked plain, or plain from an old read model. */
export function maskSettings(settings: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(settings).map(([k, v]) => {
      if (isSecretValue(v)) return [k, v.masked];
      if (typeof v === 'string') return [k, maskedForm(k, v)];
      return [k, v];
    }),
  );
}

/**
 * Settings as they go into an event: every secret sealed with the current key. A value sent back unchanged
 * (its masked form, or the same plain text) keeps the stored secret, so a PUT of what a GET showed changes
 * nothing; a URL sent back with **** as its password and another part changed keeps the stored password.
 */
export function sealSettings(ring: Keyring, settings: Record<string, unknown>, stored: Record<string, unknown> = {}): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(settings).map(([k, v]) => {
      if (typeof v !== 'string') return [k, v];
      const before = stored[k];
      const secret = isSecretValue(before) ? before : needsSealing(k, before) ? { plain: before, masked: maskedForm(k, before) } : undefined;
      if (!secret) return [k, needsSealing(k, v) ? seal(ring, k, v) : v];
      const plain = revealOrUndefined(ring, secret);
      if (v === secret.masked || v === plain) return [k, keep(ring, k, secret, plain)];
      const password = plain === undefined ? undefined : urlPassword(plain);
      const value = password !== undefined && urlPassword(v) === MASK ? v.replace(`:${MASK}@`, () => `:${password}@`) : v;
      return [k, needsSealing(k, value) ? seal(ring, k, value) : value];
    }),
  );
}

/** A kept secret, resealed under the current key when it was plain or sealed under a retired key. */
function keep(ring: Keyring, key: string, secret: SecretValue, plain: string | undefined): SecretValue {
  if ('sealed' in secret && secret.sealed.split(':')[1] === ring.currentId) return secret;
  return plain === undefined ? secret : seal(ring, key, plain);
}

function urlPassword(text: string): string | undefined {
  return new RegExp(URL_PASSWORD.source, 'i').exec(text)?.[2];
}

/** Deep copy of an event payload with every connection secret masked: for the raw event answers. */
export function maskEventData(data: unknown, key = ''): unknown {
  if (isSecretValue(data)) return data.masked;
  if (typeof data === 'string') return isSecretKey(key) ? MASK : maskSecrets(data);
  if (Array.isArray(data)) return data.map((d) => maskEventData(d));
  if (data && typeof data === 'object') return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, maskEventData(v, k)]));
  return data;
}
