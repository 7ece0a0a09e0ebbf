import { CheckpointMovedError } from '../src/core/read-store.js';
import { toNewEvent } from '../src/core/write-path.js';
import type { SqliteEventStore } from '../src/infrastructure/sqlite/sqlite-event-store.js';
import type { SqliteReadStore } from '../src/infrastructure/sqlite/sqlite-read-store.js';
import { type EmbeddedStores, openEmbeddedStores } from '../test/support/embedded-stores.js';
import type { Projection } from './projection.js';
import { rebuildAndSwap } from './rebuild.js';
import { REBUILD_BATCH } from './scratch.js';

const ctx = { actor: 'admin', correlationId: 'c', commandId: 'cmd', clock: () => new Date('2026-01-01T00:00:00Z') };
const EVENTS = REBUILD_BATCH + 500;

describe('two rebuilds of one read model at once', () => {
  let stores: EmbeddedStores;
  let events: SqliteEventStore;
  let reads: SqliteReadStore;

  beforeEach(async () => {
    stores = openEmbeddedStores('sluice-rebuild-');
    ({ events, reads } = stores);
    const counted = Array.from({ length: EVENTS }, (_, i) => toNewEvent({ type: 'Counted', data: { n: i } }, { ...ctx, commandId: `c${i}` }, '0'));
    await events.append('counter-1', counted, 'no_stream');
  });
  afterEach(() => stores.close());

  /** One document per event; `pause(n)` is awaited before event n is applied. */
  const counting = (pause: (n: number) => Promise<void> = async () => undefined): Projection => ({
    name: 'counts',
    collections: { counts: [] },
    async apply(event, tx) {
      const n = (event.data as { n: number }).n;
      await pause(n);
      await tx.put('counts', { id: `n${n}` });
    },
  });

  it('stops the one whose scratch collections the other claimed since, which writes and swaps in its own alone', async () => {
    let firstSettled!: Promise<unknown>;
    let second!: Promise<unknown>;
    // The first rebuild (say, of an instance whose lease ran out) has committed a batch when another starts over:
    // the second claims the scratch collections, then waits until the first has done what it could.
    const first = rebuildAndSwap(
      events,
      reads,
      [
        counting(async (n) => {
          if (n !== REBUILD_BATCH) return;
          await new Promise<void>((claimed) => {
            second = rebuildAndSwap(events, reads, [counting(async (m) => (m === 0 ? (claimed(), void (await firstSettled)) : undefined))]);
          });
        }),
      ],
    );
    firstSettled = first.catch(() => undefined);
    await expect(first).rejects.toBeInstanceOf(CheckpointMovedError);
    await second;
    const { items } = await reads.find('counts', {});
    expect(items).toHaveLength(EVENTS);
    expect(await reads.checkpoint('counts')).toBe(await events.lastPosition());
  });
});
