import { createHash } from 'node:crypto';
import type { Decider } from './decider.js';
import { DomainError } from './errors.js';
import type { DomainEvent, NewEvent, RecordedEvent, Via } from './events.js';
import { type EventStore, WrongExpectedRevisionError } from './event-store.js';
import { assertStorable } from './storable.js';

/** Who asks, and the request's identity, carried into every event's metadata. */
export interface CommandContext {
  actor: string;
  correlationId: string;
  /** Unique per command; makes event ids deterministic so a retried append is deduplicated. */
  commandId: string;
  /** What caused the events when it is not the command itself, e.g. the RunQueued event behind a run's events. */
  causationId?: string;
  /** Read at each append, so every event carries the time it was written. */
  clock: () => Date;
  /** The dialect and route of the request, when a request is the cause. */
  via?: Via;
}

export const systemClock = (): Date => new Date();

/** A stream's state as of `revision`: what a caller keeps to decide and append again without re-reading it. */
export interface Loaded<S> {
  state: S;
  revision: number | 'no_stream';
  /** Revision of the latest snapshot, -1 when there is none. */
  snapshotRevision: number;
}

export interface Decided<S, E> {
  state: S;
  events: E[];
  /** Global position of the last appended event; undefined when nothing changed. */
  position?: string;
  /** The stream after this command, to decide from again. */
  loaded: Loaded<S>;
}

const MAX_ATTEMPTS = 5;

export const snapshotStream = (stream: string) => `snapshot-${stream}`;

interface Snapshot<S> {
  revision: number;
  version: number;
  state: S;
}

/** How many streams' decided states each store keeps in memory, the least recently used leaving first. */
const CACHED_STATES = 1000;

/**
 * Decided states by store, decider and stream. An entry is only a starting point: every load still reads the
 * events after its revision from the store (an empty read when nothing changed), so an append by another
 * instance is never missed. States are immutable (deciders never change one in place), so sharing is safe.
 */
const stateCaches = new WeakMap<EventStore, WeakMap<object, Map<string, Loaded<unknown>>>>();

function stateCache<S>(store: EventStore, decider: object): Map<string, Loaded<S>> {
  let byDecider = stateCaches.get(store);
  if (!byDecider) stateCaches.set(store, (byDecider = new WeakMap()));
  let cache = byDecider.get(decider);
  if (!cache) byDecider.set(decider, (cache = new Map()));
  return cache as Map<string, Loaded<S>>;
}

/** Keeps a stream's state as decided or loaded in this process, for the next load to start from. */
function remember<S>(store: EventStore, decider: object, stream: string, loaded: Loaded<S>): void {
  const cache = stateCache<S>(store, decider);
  const known = cache.get(stream);
  // A slower load of an older revision must not replace a newer one.
  if (known && known.revision !== 'no_stream' && (loaded.revision === 'no_stream' || loaded.revision < known.revision)) return;
  cache.delete(stream);
  cache.set(stream, loaded);
  if (cache.size > CACHED_STATES) cache.delete(cache.keys().next().value!);
}

/**
 * A stream's current state and revision: from the state decided last in this process (see stateCaches), else
 * its latest snapshot (if the decider keeps them), and the events after it.
 */
export async function loadState<S, C, E extends DomainEvent>(store: EventStore, stream: string, decider: Decider<S, C, E>): Promise<Loaded<S>> {
  let loaded: Loaded<S> = stateCache<S>(store, decider).get(stream) ?? { state: decider.initialState, revision: 'no_stream', snapshotRevision: -1 };
  if (loaded.revision === 'no_stream') {
    const snapshot = await latestSnapshot(store, stream, decider);
    if (snapshot) loaded = { state: snapshot.state, revision: snapshot.revision, snapshotRevision: snapshot.revision };
  }
  const current = await catchUp(store, stream, decider, loaded);
  if (current.revision !== 'no_stream') remember(store, decider, stream, current);
  return current;
}

/** Folds in only the events appended after `loaded.revision`. */
export async function catchUp<S, C, E extends DomainEvent>(store: EventStore, stream: string, decider: Decider<S, C, E>, loaded: Loaded<S>): Promise<Loaded<S>> {
  const fresh = await store.readStream(stream, { fromRevision: loaded.revision === 'no_stream' ? 0 : loaded.revision + 1 });
  if (fresh.length === 0) return loaded;
  return { ...loaded, state: fold(decider, loaded.state, fresh), revision: fresh[fresh.length - 1].revision };
}

const fold = <S, C, E extends DomainEvent>(decider: Decider<S, C, E>, state: S, events: RecordedEvent[]) => events.reduce((s, e) => decider.evolve(s, e as unknown as E), state);

/** The stream's newest snapshot, if the decider keeps them and it has the decider's current shape. */
async function latestSnapshot<S, C, E extends DomainEvent>(store: Pick<EventStore, 'readLast'>, stream: string, decider: Decider<S, C, E>): Promise<Snapshot<S> | undefined> {
  if (!decider.snapshot) return undefined;
  const snapshot = (await store.readLast(snapshotStream(stream)))?.data as Snapshot<S> | undefined;
  return snapshot?.version === decider.snapshot.version ? snapshot : undefined;
}

/**
 * A stream's state just before `revision` (its events 0 to revision - 1): from its latest snapshot when that is
 * not past it, and the events after. For readers that tell what an event changed.
 */
export async function stateBefore<S, C, E extends DomainEvent>(store: Pick<EventStore, 'readStream' | 'readLast'>, stream: string, decider: Decider<S, C, E>, revision: number): Promise<S> {
  const snapshot = await latestSnapshot(store, stream, decider);
  const [state, from] = snapshot && snapshot.revision < revision ? [snapshot.state, snapshot.revision + 1] : [decider.initialState, 0];
  if (from >= revision) return state;
  return fold(decider, state, await store.readStream(stream, { fromRevision: from, maxCount: revision - from }));
}

/** The last command in line on each stream of each store, in this process. */
const streamTurns = new WeakMap<EventStore, Map<string, Promise<unknown>>>();

/**
 * Runs `work` (a read, a decision and an append) once the commands on `stream` before it in this process are
 * done: commands on one stream take turns rather than race and retry on conflicts. Other instances are kept
 * apart by the expected revision as before.
 */
export function inTurn<T>(store: EventStore, stream: string, work: () => Promise<T>): Promise<T> {
  let turns = streamTurns.get(store);
  if (!turns) streamTurns.set(store, (turns = new Map()));
  const before = turns.get(stream) ?? Promise.resolve();
  const mine = before.then(work, work);
  const settled = mine.then(
    () => undefined,
    () => undefined,
  );
  turns.set(stream, settled);
  void settled.then(() => {
    if (turns.get(stream) === settled) turns.delete(stream);
  });
  return mine;
}

/** Read the state, decide, append at the revision read; re-decide on a conflict, then 409. */
export function decideAndAppend<S, C, E extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<S, C, E>,
  command: C,
  ctx: CommandContext,
): Promise<Decided<S, E>> {
  return inTurn(store, stream, async () => decideAndRetry(store, stream, decider, await loadState(store, stream, decider), command, ctx));
}

/**
 * Decide from a state the caller already holds and append at its revision; on a conflict, fold in only the
 * events written since, re-decide, and try again a bounded number of times, then 409.
 */
export function decideFrom<S, C, E extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<S, C, E>,
  loaded: Loaded<S>,
  command: C,
  ctx: CommandContext,
): Promise<Decided<S, E>> {
  return inTurn(store, stream, () => decideAndRetry(store, stream, decider, loaded, command, ctx));
}

async function decideAndRetry<S, C, E extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<S, C, E>,
  loaded: Loaded<S>,
  command: C,
  ctx: CommandContext,
): Promise<Decided<S, E>> {
  for (let attempt = 1; ; attempt++) {
    const { state, revision, snapshotRevision } = loaded;
    const events = decider.decide(command, state);
    if (events.length === 0) return { state, events, loaded };
    events.forEach((e) => assertStorable(e.data));
    try {
      const result = await store.append(stream, toNewEvents(events, ctx, `${stream}:${revision}`), revision);
      const next = events.reduce(decider.evolve, state);
      const after = await keepDecided(store, stream, decider, { state: next, revision: result.revision, snapshotRevision }, ctx.actor);
      return { state: next, events, position: result.position, loaded: after };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      if (attempt >= MAX_ATTEMPTS) {
        throw new DomainError('CONCURRENCY.CONFLICT', `${stream} was changed concurrently ${attempt} times; try again`);
      }
      loaded = await catchUp(store, stream, decider, loaded);
    }
  }
}

/**
 * After an append: the state it decided is what the next command in this process starts from, and it is saved
 * as a snapshot when `every` events have landed since the last one, so a cold load folds at most that many.
 * Answers the state with the revision of its latest snapshot.
 */
export async function keepDecided<S>(store: EventStore, stream: string, decider: Pick<Decider<S, unknown, DomainEvent>, 'snapshot'>, decided: Loaded<S>, actor: string): Promise<Loaded<S>> {
  let { snapshotRevision } = decided;
  const revision = decided.revision as number;
  if (decider.snapshot && revision - snapshotRevision >= decider.snapshot.every) {
    // Only a shortcut for later loads: the command has succeeded whether or not it is written.
    const saved = { revision, version: decider.snapshot.version, state: decided.state };
    snapshotRevision = await saveSnapshot(store, stream, saved, actor).then(() => revision, () => snapshotRevision);
  }
  const after = { ...decided, snapshotRevision };
  remember(store, decider, stream, after);
  return after;
}

async function saveSnapshot<S>(store: EventStore, stream: string, snapshot: Snapshot<S>, actor: string): Promise<void> {
  const event = { type: 'Snapshot', data: snapshot };
  const ctx = { actor, correlationId: stream, commandId: `${stream}:snapshot:${snapshot.revision}`, clock: systemClock };
  await store.append(snapshotStream(stream), [toNewEvent(event, ctx, 'snapshot')], 'any');
}

/** The envelope of an event about to be appended; its time is read from the context's clock now. */
export function toNewEvent(event: DomainEvent, ctx: CommandContext, slot: string): NewEvent {
  return {
    id: deterministicUuid(`${ctx.commandId}:${slot}`),
    type: event.type,
    data: event.data,
    metadata: {
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      causationId: ctx.causationId ?? ctx.commandId,
      occurredAt: ctx.clock().toISOString(),
      // The event store every reader uses (UpcastingEventStore) stamps each type's current version on append.
      schemaVersion: 1,
      ...(ctx.via ? { via: ctx.via } : {}),
    },
  };
}

/** The envelopes of one append's events: one clock read, so the events of one command share one time. */
export function toNewEvents(events: DomainEvent[], ctx: CommandContext, slot: string): NewEvent[] {
  const at = ctx.clock();
  const stamped = { ...ctx, clock: () => at };
  return events.map((e, i) => toNewEvent(e, stamped, `${slot}:${i}`));
}

/** A v4-shaped UUID derived from a name, so the same command slot always yields the same event id. */
export function deterministicUuid(name: string): string {
  const h = createHash('sha256').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x40;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
