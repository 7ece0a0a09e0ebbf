import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../infrastructure/sqlite/sqlite-event-store.js';
import type { Decider } from './decider.js';
import { DomainError } from './errors.js';
import type { DomainEvent, ExpectedRevision, NewEvent } from './events.js';
import { decideAndAppend, loadState, snapshotStream, toNewEvent } from './write-path.js';

type Counted = DomainEvent<'Counted', { n: number }>;
const counter: Decider<number, { type: 'Count' }, Counted> = {
  initialState: 0,
  decide: (_command, state) => [{ type: 'Counted', data: { n: state + 1 } }],
  evolve: (_state, event) => event.data.n,
};
const ctx = (commandId: string) => ({ actor: 'test', correlationId: 'c', commandId, clock: () => new Date('2026-01-01T00:00:00Z') });

/** A real store with another writer that sneaks an event in before each of the first `interferences` appends. */
class ContendedStore extends SqliteEventStore {
  constructor(
    file: string,
    private interferences: number,
  ) {
    super(file);
  }

  async append(stream: string, events: NewEvent[], expected: ExpectedRevision) {
    if (this.interferences-- > 0) {
      const head = (await this.readStream(stream)).length;
      await super.append(stream, [toNewEvent({ type: 'Counted', data: { n: head + 1 } }, ctx(`other-${this.interferences}`), 'x')], head - 1 < 0 ? 'no_stream' : head - 1);
    }
    return super.append(stream, events, expected);
  }
}

describe('decideAndAppend', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-write-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('re-reads and re-decides after a conflicting append, so the decision sees the other write', async () => {
    const store = new ContendedStore(join(dir, 'e.db'), 2);
    const { state } = await decideAndAppend(store, 'counter-1', counter, { type: 'Count' }, ctx('mine'));
    expect(state).toBe(3);
    expect((await store.readStream('counter-1')).map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3]);
    await store.close();
  });

  it('gives up with a 409 CONCURRENCY.CONFLICT after a bounded number of attempts, writing nothing of its own', async () => {
    const store = new ContendedStore(join(dir, 'e.db'), 100);
    const attempt = decideAndAppend(store, 'counter-2', counter, { type: 'Count' }, ctx('mine'));
    await expect(attempt).rejects.toBeInstanceOf(DomainError);
    await attempt.catch((e: DomainError) => {
      expect(e.code).toBe('CONCURRENCY.CONFLICT');
      expect(e.status).toBe(409);
    });
    const events = await store.readStream('counter-2');
    expect(events.every((e) => e.metadata.causationId !== 'mine')).toBe(true);
    await store.close();
  });

  it('derives event ids from the command, so the same command slot appended twice is written once', async () => {
    const store = new SqliteEventStore(join(dir, 'e.db'));
    const event = toNewEvent({ type: 'Counted', data: { n: 1 } }, ctx('cmd-1'), 'counter-3:no_stream:0');
    expect(toNewEvent({ type: 'Counted', data: { n: 1 } }, ctx('cmd-1'), 'counter-3:no_stream:0').id).toBe(event.id);
    await store.append('counter-3', [event], 'no_stream');
    await store.append('counter-3', [event], 'no_stream');
    expect(await store.readStream('counter-3')).toHaveLength(1);
    await store.close();
  });

  it('keeps a snapshot every N events and loads from it plus the events after it', async () => {
    const store = new SqliteEventStore(join(dir, 'e.db'));
    const snapshotting = { ...counter, snapshot: { every: 3, version: 1 } };
    for (let i = 0; i < 7; i++) await decideAndAppend(store, 'counter-s', snapshotting, { type: 'Count' }, ctx(`c${i}`));
    const snapshots = await store.readStream(snapshotStream('counter-s'));
    expect(snapshots.map((e) => (e.data as { revision: number }).revision)).toEqual([2, 5]);
    expect(await loadState(store, 'counter-s', snapshotting)).toMatchObject({ state: 7, revision: 6 });
    // a snapshot of an older state shape is ignored: the stream is folded from the start
    expect((await loadState(store, 'counter-s', { ...counter, snapshot: { every: 3, version: 2 } })).state).toBe(7);
    // the snapshot really is used: a state only it holds shows through
    await store.append(snapshotStream('counter-s'), [toNewEvent({ type: 'Snapshot', data: { revision: 6, version: 1, state: 100 } }, ctx('fake'), 'x')], 'any');
    expect((await loadState(store, 'counter-s', snapshotting)).state).toBe(100);
    await store.close();
  });
});
