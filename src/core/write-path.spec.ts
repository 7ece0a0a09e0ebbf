import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../infrastructure/sqlite/sqlite-event-store.js';
import type { Decider } from './decider.js';
import { DomainError } from './errors.js';
import type { DomainEvent, ExpectedRevision, NewEvent } from './events.js';
import { decideAndAppend, decideFrom, loadState, snapshotStream, stateBefore, toNewEvent } from './write-path.js';

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

  it('decides from the state it decided last, yet sees what another instance appended to the stream since', async () => {
    const mine = new SqliteEventStore(join(dir, 'e.db'));
    const theirs = new SqliteEventStore(join(dir, 'e.db'));
    await decideAndAppend(mine, 'counter-3', counter, { type: 'Count' }, ctx('a'));
    await decideAndAppend(mine, 'counter-3', counter, { type: 'Count' }, ctx('b'));
    // The other instance appends at the revision it reads itself: the first store's memory of the stream is stale.
    await theirs.append('counter-3', [toNewEvent({ type: 'Counted', data: { n: 10 } }, ctx('theirs'), 'x')], 1);
    const reads: Array<number | undefined> = [];
    const readStream = mine.readStream.bind(mine);
    mine.readStream = (stream, options) => (reads.push(options?.fromRevision), readStream(stream, options));
    expect((await loadState(mine, 'counter-3', counter)).state).toBe(10);
    // Only the events after the revision it decided last were read, not the stream from its start.
    expect(reads).toEqual([2]);
    const { state } = await decideAndAppend(mine, 'counter-3', counter, { type: 'Count' }, ctx('c'));
    expect(state).toBe(11);
    expect((await theirs.readStream('counter-3')).map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 10, 11]);
    await mine.close();
    await theirs.close();
  });

  it('lets many commands on one stream from this process take turns: none is refused, each decides on the one before', async () => {
    const store = new SqliteEventStore(join(dir, 'e.db'));
    const decided = await Promise.all(Array.from({ length: 32 }, (_, i) => decideAndAppend(store, 'counter-turns', counter, { type: 'Count' }, ctx(`turn-${i}`))));
    expect(decided.map((d) => d.state).sort((a, b) => a - b)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect((await store.readStream('counter-turns')).map((e) => (e.data as { n: number }).n)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
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
    // Loads in a fresh process (another store on the file): this one decides from the state it keeps in memory.
    const fresh = () => new SqliteEventStore(join(dir, 'e.db'));
    expect(await loadState(fresh(), 'counter-s', snapshotting)).toMatchObject({ state: 7, revision: 6 });
    // a snapshot of an older state shape is ignored: the stream is folded from the start
    expect((await loadState(fresh(), 'counter-s', { ...counter, snapshot: { every: 3, version: 2 } })).state).toBe(7);
    // the snapshot really is used: a state only it holds shows through
    await store.append(snapshotStream('counter-s'), [toNewEvent({ type: 'Snapshot', data: { revision: 6, version: 1, state: 100 } }, ctx('fake'), 'x')], 'any');
    expect((await loadState(fresh(), 'counter-s', snapshotting)).state).toBe(100);
    await store.close();
  });

  it('stamps each append with the time of that append, read from the context\'s clock', async () => {
    const store = new SqliteEventStore(join(dir, 'e.db'));
    let tick = Date.parse('2026-01-01T00:00:00Z');
    const ticking = { actor: 'test', correlationId: 'c', commandId: 'long-lived', clock: () => new Date((tick += 1000)) };
    await decideAndAppend(store, 'counter-t', counter, { type: 'Count' }, ticking);
    await decideAndAppend(store, 'counter-t', counter, { type: 'Count' }, ticking);
    expect((await store.readStream('counter-t')).map((e) => e.metadata.occurredAt)).toEqual(['2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.000Z']);
    await store.close();
  });

  it('names the command as the cause of its events, unless the context names another cause', async () => {
    const store = new SqliteEventStore(join(dir, 'e.db'));
    await decideAndAppend(store, 'counter-c', counter, { type: 'Count' }, ctx('cmd-9'));
    await decideAndAppend(store, 'counter-c', counter, { type: 'Count' }, { ...ctx('cmd-10'), causationId: 'the-queued-event' });
    expect((await store.readStream('counter-c')).map((e) => e.metadata.causationId)).toEqual(['cmd-9', 'the-queued-event']);
    await store.close();
  });

  it('decides again from a kept state, reading only the events written since on a conflict', async () => {
    const reads: Array<number | undefined> = [];
    const store = new (class extends SqliteEventStore {
      readStream(stream: string, options?: { fromRevision?: number; maxCount?: number }) {
        reads.push(options?.fromRevision);
        return super.readStream(stream, options);
      }
    })(join(dir, 'e.db'));
    const first = await decideAndAppend(store, 'counter-k', counter, { type: 'Count' }, ctx('k1'));
    const second = await decideFrom(store, 'counter-k', counter, first.loaded, { type: 'Count' }, ctx('k2'));
    expect(second.loaded).toMatchObject({ state: 2, revision: 1 });
    await store.append('counter-k', [toNewEvent({ type: 'Counted', data: { n: 3 } }, ctx('other'), 'x')], 1);
    reads.length = 0;
    const third = await decideFrom(store, 'counter-k', counter, second.loaded, { type: 'Count' }, ctx('k3'));
    expect(third.loaded).toMatchObject({ state: 4, revision: 3 });
    expect(reads).toEqual([2]);
    await store.close();
  });

  it.each([
    ['a bigint', { n: 1n }, 'n'],
    ['NaN', { n: Number.NaN }, 'n'],
    ['Infinity', { deep: { list: [1, Number.POSITIVE_INFINITY] } }, 'deep.list[1]'],
    ['a function', { settings: { f: () => 1 } }, 'settings.f'],
    ['a symbol', { s: Symbol('x') }, 's'],
  ])('refuses %s anywhere in an event\'s data with a 400 naming the field, appending nothing', async (_, data, field) => {
    const store = new SqliteEventStore(join(dir, 'e.db'));
    const writing: Decider<number, { type: 'Write' }, DomainEvent> = { ...counter, decide: () => [{ type: 'Counted', data: { n: 1 } }, { type: 'Weird', data }] } as never;
    const attempt = decideAndAppend(store, 'counter-v', writing, { type: 'Write' }, ctx('v'));
    await expect(attempt).rejects.toMatchObject({ code: 'VALIDATION', status: 400, field });
    expect(await store.readStream('counter-v')).toEqual([]);
    await store.close();
  });

  it('folds the state just before any revision, from the latest snapshot only when it is not past that revision', async () => {
    const store = new SqliteEventStore(join(dir, 'e.db'));
    const seen: Decider<number[], { type: 'Count' }, Counted> = {
      initialState: [],
      decide: (_command, state) => [{ type: 'Counted', data: { n: state.length + 1 } }],
      evolve: (state, event) => [...state, event.data.n],
      snapshot: { every: 3, version: 1 },
    };
    for (let i = 0; i < 7; i++) await decideAndAppend(store, 'seen-1', seen, { type: 'Count' }, ctx(`c${i}`));
    expect((await store.readLast(snapshotStream('seen-1')))?.data).toMatchObject({ revision: 5 });
    for (let revision = 0; revision <= 7; revision++) {
      expect(await stateBefore(store, 'seen-1', seen, revision)).toEqual(Array.from({ length: revision }, (_, i) => i + 1));
    }
    await store.close();
  });
});
