import type { DomainEvent } from './events.js';

/** A pure aggregate: no I/O, no clock. Time and ids arrive inside commands. */
export interface Decider<State, Command, Event extends DomainEvent> {
  initialState: State;
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  /**
   * For streams that grow without bound: keep a snapshot of the state every `every` events, so loading
   * reads the snapshot and the events after it. Bump `version` when the state's shape changes.
   */
  snapshot?: { every: number; version: number };
}

