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

/** Read stream, fold, decide, append at the revision read; re-decide on a conflict, then 409. */
export async function decideAndAppend<S, C, E extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<S, C, E>,
  command: C,
  ctx: CommandContext,
): Promise<Decided<S, E>> {
  for (let attempt = 1; ; attempt++) {
    const recorded = await store.readStream(stream);
    const state = recorded.reduce((s, e) => decider.evolve(s, e as unknown as E), decider.initialState);
    const events = decider.decide(command, state);
    if (events.length === 0) return { state, events };
    const revision = recorded.length ? recorded[recorded.length - 1].revision : 'no_stream';
    try {
      const result = await store.append(stream, events.map((e, i) => toNewEvent(e, ctx, `${stream}:${revision}:${i}`)), revision);
      return { state: events.reduce(decider.evolve, state), events, position: result.position };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      if (attempt >= MAX_ATTEMPTS) {
        throw new DomainError('CONCURRENCY.CONFLICT', `${stream} was changed concurrently ${attempt} times; try again`);
      }
    }
  }
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
