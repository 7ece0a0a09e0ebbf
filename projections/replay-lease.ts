import { hostname } from 'node:os';
import type { ReadStore } from '../src/core/read-store.js';

/** One replay or verify at a time over one read store, whichever process runs it: they share scratch collections. */
const LEASE = 'projections:replay';
const TTL_MS = 30_000;

export interface HeldLease {
  release(): Promise<void>;
}

/** Takes the replay lease (renewed while held), or answers who holds it. */
export async function takeReplayLease(store: ReadStore, what: string): Promise<HeldLease | { heldBy: string }> {
  const owner = `${what} on ${hostname()}/${process.pid}`;
  if (!(await store.acquireLease(LEASE, owner, TTL_MS))) return { heldBy: (await store.lease(LEASE))?.owner ?? 'another process' };
  const renew = setInterval(() => void store.acquireLease(LEASE, owner, TTL_MS).catch(() => undefined), TTL_MS / 3);
  renew.unref();
  return {
    async release() {
      clearInterval(renew);
      await store.releaseLease(LEASE, owner).catch(() => undefined);
    },
  };
}
