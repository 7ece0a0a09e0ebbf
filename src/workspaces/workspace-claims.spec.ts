import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Decider } from '../core/decider.js';
import type { DomainEvent } from '../core/events.js';
import { loadState, toNewEvent } from '../core/write-path.js';
import { SqliteEventStore } from '../infrastructure/sqlite/sqlite-event-store.js';
import { changeWithClaims } from './workspace-claims.js';

type Counted = DomainEvent<'Counted', { n: number }>;
const ctx = (commandId: string) => ({ actor: 'test', correlationId: 'c', commandId, clock: () => new Date() });

describe('changeWithClaims', () => {
  let dir: string;
  let store: SqliteEventStore;
  let folded: number[];
  const counter: Decider<number, { type: 'Count' }, Counted> = {
    initialState: 0,
    decide: (_command, state) => [{ type: 'Counted', data: { n: state + 1 } }],
    evolve: (_state, event) => (folded.push(event.data.n), event.data.n),
  };
  const count = (commandId: string) =>
    changeWithClaims(store, { owner: { kind: 'job', id: 'c' }, stream: 'counter-c', decider: counter, command: (): { type: 'Count' } => ({ type: 'Count' }), holds: () => null, workspaceOf: () => 'w', plan: () => undefined, owners: {} }, ctx(commandId));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-claims-'));
    store = new SqliteEventStore(join(dir, 'e.db'));
    folded = [];
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the next change from the state it decided, folding each event once', async () => {
    await count('a');
    await count('b');
    await count('c');
    expect((await loadState(store, 'counter-c', counter)).state).toBe(3);
    // Each event folded when it was decided, not again when the next change loaded the stream.
    expect(folded).toEqual([1, 2, 3]);
  });

  it('saves a snapshot every so many changes, so a cold load folds only the events after it', async () => {
    const snapshotted = { ...counter, snapshot: { every: 3, version: 1 } };
    const change = { owner: { kind: 'job' as const, id: 's' }, stream: 'counter-s', decider: snapshotted, command: (): { type: 'Count' } => ({ type: 'Count' }), holds: () => null, workspaceOf: () => 'w', plan: () => undefined, owners: {} };
    for (let n = 1; n <= 7; n++) await changeWithClaims(store, change, ctx(`s${n}`));
    // Another process (or this one after a restart) has none of the decided states in memory.
    const cold = new SqliteEventStore(join(dir, 'e.db'));
    folded = [];
    expect((await loadState(cold, 'counter-s', snapshotted)).state).toBe(7);
    await cold.close();
    expect(folded).toEqual([7]);
  });

  it('still sees what another instance appended after the state it decided', async () => {
    await count('a');
    const theirs = new SqliteEventStore(join(dir, 'e.db'));
    await theirs.append('counter-c', [toNewEvent({ type: 'Counted', data: { n: 10 } }, ctx('theirs'), 'x')], 0);
    await theirs.close();
    await count('b');
    expect((await store.readStream('counter-c')).map((e) => (e.data as { n: number }).n)).toEqual([1, 10, 11]);
  });
});
