import { storeFault, StoreUnavailableError, WriteFaults } from './store-fault.js';

const failing = (code: string) => Object.assign(new Error(code), { code });

describe('store faults', () => {
  it.each([
    ['SQLITE_FULL', 'STORE.FULL', 507, /no space left on device/],
    ['ENOSPC', 'STORE.FULL', 507, /no space left on device/],
    ['SQLITE_READONLY', 'STORE.READ_ONLY', 503, /read-only/],
    ['SQLITE_READONLY_DBMOVED', 'STORE.READ_ONLY', 503, /read-only/],
    ['EROFS', 'STORE.READ_ONLY', 503, /read-only/],
    ['SQLITE_IOERR_WRITE', 'STORE.UNAVAILABLE', 503, /I\/O error/],
    ['SQLITE_CANTOPEN', 'STORE.UNAVAILABLE', 503, /cannot be opened/],
  ])('maps %s to %s (%i), naming the store and its file', (code, expected, status, reason) => {
    const fault = storeFault(failing(code), 'event store', '/data/events.db')!;
    expect(fault).toBeInstanceOf(StoreUnavailableError);
    expect([fault.code, fault.status]).toEqual([expected, status]);
    expect(fault.message).toMatch(reason);
    expect(fault.message).toMatch(/^The event store cannot write: .* \(\/data\/events\.db\)$/);
  });

  it('leaves other errors alone', () => {
    expect(storeFault(failing('SQLITE_CONSTRAINT_UNIQUE'), 'event store', '/x')).toBeUndefined();
    expect(storeFault(new TypeError('bug'), 'event store', '/x')).toBeUndefined();
  });

  it('remembers a fault until a write succeeds, and reports its start once', () => {
    const reported: string[] = [];
    const writes = new WriteFaults('read store', '/data/read.db', (f) => reported.push(f.code));
    expect(() => writes.run(() => { throw failing('SQLITE_FULL'); })).toThrow(StoreUnavailableError);
    expect(() => writes.run(() => { throw failing('SQLITE_FULL'); })).toThrow(/no space left/);
    expect(writes.fault?.code).toBe('STORE.FULL');
    expect(() => writes.run(() => { throw new Error('not the disk'); })).toThrow('not the disk');
    expect(writes.fault?.code).toBe('STORE.FULL');
    expect(writes.run(() => 42)).toBe(42);
    expect(writes.fault).toBeUndefined();
    expect(reported).toEqual(['STORE.FULL']);
  });
});
