import type { Decider } from '../src/core/decider.js';
import type { EventStore } from '../src/core/event-store.js';
import type { DomainEvent, RecordedEvent } from '../src/core/events.js';
import { stateBefore } from '../src/core/write-path.js';

/**
 * Streams' states as a decider folds them, for a projection that tells what each event changed: the state
 * after a stream's last event seen is kept in memory (the least recently used leaving first), and one that
 * is not there is read from the log. Nothing of it is stored, so it cannot fall out of step with the log.
 */
export class StreamStates {
  /** By decider, then stream: two deciders may fold one stream differently. */
  private readonly states = new Map<object, Map<string, { revision: number; state: unknown }>>();

  constructor(
    private readonly events: Pick<EventStore, 'readStream' | 'readLast'>,
    private readonly capacity = 5000,
  ) {}

  /** The state of the event's stream before and after it. */
  async around<S, C, E extends DomainEvent>(event: RecordedEvent, decider: Decider<S, C, E>): Promise<{ before: S; after: S }> {
    let states = this.states.get(decider);
    if (!states) this.states.set(decider, (states = new Map()));
    const known = states.get(event.stream);
    const before = known?.revision === event.revision - 1 ? (known.state as S) : await stateBefore(this.events, event.stream, decider, event.revision);
    const after = decider.evolve(before, event as unknown as E);
    states.delete(event.stream);
    states.set(event.stream, { revision: event.revision, state: after });
    if (states.size > this.capacity) states.delete(states.keys().next().value!);
    return { before, after };
  }
}
