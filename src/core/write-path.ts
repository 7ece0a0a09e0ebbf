import { createHash } from 'node:crypto';
import type { Decider } from './decider.js';
import { DomainError } from './errors.js';
import type { DomainEvent, NewEvent } from './events.js';
import { type EventStore, WrongExpectedRevisionError } from './event-store.js';

/** Who asks, and the request's identity, carried into every event's metadata. */
export interface CommandContext {
  actor: string;
  correlationId: string;
  /** Unique per command; makes event ids deterministic so a retried append is deduplicated. */
  commandId: string;
  now: Date;
}

export interface Decided<S, E> {
  state: S;
  events: E[];
  /** Global position of the last appended event; undefined when nothing changed. */
  position?: string;
}

const MAX_ATTEMPTS = 5;
export const SCHEMA_VERSION = 1;

export const snapshotStream = (stream: string) => `snapshot-${stream}`;

interface Snapshot<S> {
  revision: number;
  version: number;
  state: S;
}

/** A stream's current state and revision: from its latest snapshot (if the decider keeps them) and the events after it. */
export async function loadState<S, C, E extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<S, C, E>,
): Promise<{ state: S; revision: number | 'no_stream'; snapshotRevision: number }> {
  let state = decider.initialState;
  let from = 0;
  if (decider.snapshot) {
    const snapshot = (await store.readLast(snapshotStream(stream)))?.data as Snapshot<S> | undefined;
    if (snapshot && snapshot.version === decider.snapshot.version) {
      state = snapshot.state;
      from = snapshot.revision + 1;
    }
  }
  const recorded = await store.readStream(stream, { fromRevision: from });
  state = recorded.reduce((s, e) => decider.evolve(s, e as unknown as E), state);
  const revision = recorded.length ? recorded[recorded.length - 1].revision : from > 0 ? from - 1 : 'no_stream';
  return { state, revision, snapshotRevision: from - 1 };
}

/** Read the state, decide, append at the revision read; re-decide on a conflict, then 409. */
export async function decideAndAppend<S, C, E extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<S, C, E>,
  command: C,
  ctx: CommandContext,
): Promise<Decided<S, E>> {
  for (let attempt = 1; ; attempt++) {
    const { state, revision, snapshotRevision } = await loadState(store, stream, decider);
    const events = decider.decide(command, state);
    if (events.length === 0) return { state, events };
    try {
      const result = await store.append(stream, events.map((e, i) => toNewEvent(e, ctx, `${stream}:${revision}:${i}`)), revision);
      const next = events.reduce(decider.evolve, state);
      if (decider.snapshot && result.revision - snapshotRevision >= decider.snapshot.every) {
        // Only a shortcut for later loads: the command has succeeded whether or not it is written.
        await saveSnapshot(store, stream, { revision: result.revision, version: decider.snapshot.version, state: next }).catch(() => undefined);
      }
      return { state: next, events, position: result.position };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      if (attempt >= MAX_ATTEMPTS) {
        throw new DomainError('CONCURRENCY.CONFLICT', `${stream} was changed concurrently ${attempt} times; try again`);
      }
    }
  }
}

async function saveSnapshot<S>(store: EventStore, stream: string, snapshot: Snapshot<S>): Promise<void> {
  const event = { type: 'Snapshot', data: snapshot };
  const ctx = { actor: 'sluice', correlationId: stream, commandId: `${stream}:snapshot:${snapshot.revision}`, now: new Date() };
  await store.append(snapshotStream(stream), [toNewEvent(event, ctx, 'snapshot')], 'any');
}

export function toNewEvent(event: DomainEvent, ctx: CommandContext, slot: string): NewEvent {
  return {
    id: deterministicUuid(`${ctx.commandId}:${slot}`),
    type: event.type,
    data: event.data,
    metadata: {
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      causationId: ctx.commandId,
      occurredAt: ctx.now.toISOString(),
      schemaVersion: SCHEMA_VERSION,
    },
  };
}

/** A v4-shaped UUID derived from a name, so the same command slot always yields the same event id. */
export function deterministicUuid(name: string): string {
  const h = createHash('sha256').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x40;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
