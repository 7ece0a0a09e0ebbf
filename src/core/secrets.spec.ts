import { randomBytes } from 'node:crypto';
import { DomainError } from './errors.js';
import { keyring, maskEventData, maskSecrets, maskSettings, reveal, revealSettings, seal, sealSettings, type SealedSecret } from './secrets.js';

const URL = 'postgresql://bob:hunter2-s3cret@db.example:5432/sales';
const MASKED_URL = 'postgresql://bob:****@db.example:5432/sales';

describe('connection secrets', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  it('seals the URL password and secret-named keys, and keeps other settings plain', () => {
    const ring = keyring(newKey);
    const sealed = sealSettings(ring, { url: URL, api_token: 'tok-123', password: 'pw', path: '/data/in', read_timeout_ms: 5 });
    expect(JSON.stringify(sealed)).not.toMatch(/hunter2|tok-123|"pw"/);
    expect(sealed).toMatchObject({ url: { masked: MASKED_URL }, api_token: { masked: '****' }, path: '/data/in', read_timeout_ms: 5 });
    expect(revealSettings(ring, sealed)).toEqual({ url: URL, api_token: 'tok-123', password: 'pw', path: '/data/in', read_timeout_ms: 5 });
    expect(maskSettings(sealed)).toEqual({ url: MASKED_URL, api_token: '****', password: '****', path: '/data/in', read_timeout_ms: 5 });
    expect(sealSettings(ring, { url: 'postgresql://bob@db/sales' })).toEqual({ url: 'postgresql://bob@db/sales' });
  });

  it('seals each value with a fresh IV, and refuses a tampered ciphertext', () => {
    const ring = keyring(newKey);
    const a = seal(ring, 'password', 'same');
    expect(seal(ring, 'password', 'same').sealed).not.toBe(a.sealed);
    const parts = a.sealed.split(':');
    parts[4] = Buffer.from('other').toString('base64url');
    expect(() => reveal(ring, { ...a, sealed: parts.join(':') })).toThrow();
  });

  it('opens secrets sealed with a retired key after a rotation, and says which key is missing without it', () => {
    const before = seal(keyring(oldKey), 'url', URL);
    expect(reveal(keyring(newKey, [oldKey]), before)).toBe(URL);
    const error = (() => {
      try {
        reveal(keyring(newKey), before);
      } catch (e) {
        return e as DomainError;
      }
    })();
    expect(error).toMatchObject({ code: 'CONNECTION.SECRET_KEY_MISSING' });
    expect(error?.message).toContain(before.sealed.split(':')[1]);
    expect(error?.message).not.toContain('hunter2');
  });

  it('keeps the stored secret when its masked form (or the same value) comes back, resealing it under the current key', () => {
    const ring = keyring(newKey, [oldKey]);
    const stored = { url: seal(ring, 'url', URL), path: '/x' };
    expect(sealSettings(ring, { url: MASKED_URL }, stored)).toEqual({ url: stored.url });
    expect(sealSettings(ring, { url: URL }, stored)).toEqual({ url: stored.url });
    const changed = sealSettings(ring, { url: 'postgresql://bob:new@db.example:5432/sales' }, stored).url as SealedSecret;
    expect(reveal(ring, changed)).toBe('postgresql://bob:new@db.example:5432/sales');
    const underOld = { url: seal(keyring(oldKey), 'url', URL) };
    const resealed = sealSettings(ring, { url: MASKED_URL }, underOld).url as SealedSecret;
    expect(resealed.sealed.split(':')[1]).toBe(ring.currentId);
    expect(reveal(ring, resealed)).toBe(URL);
    // The masked URL with another host keeps the stored password.
    const moved = sealSettings(ring, { url: MASKED_URL.replace('db.example', 'db2.example') }, stored).url;
    expect(reveal(ring, moved)).toBe(URL.replace('db.example', 'db2.example'));
    // A plain secret from an old event is sealed when sent back masked.
    expect(reveal(ring, sealSettings(ring, { url: MASKED_URL }, { url: URL }).url)).toBe(URL);
  });

  it('masks URL passwords and password= values in any text, and secrets anywhere in an event payload', () => {
    expect(maskSecrets(`PostgreSQL at ${URL} said no; also host=x password=abc user=y`)).toBe(
      `PostgreSQL at ${MASKED_URL} said no; also host=x password=**** user=y`,
    );
    expect(maskSecrets('postgresql://db.example:5432/sales and bob@example.com')).toBe('postgresql://db.example:5432/sales and bob@example.com');
    const ring = keyring(newKey);
    expect(maskEventData({ connectionId: 'c', settings: { url: seal(ring, 'url', URL), password: 'plain', note: URL } })).toEqual({
      connectionId: 'c',
      settings: { url: MASKED_URL, password: '****', note: MASKED_URL },
    });
  });
});
