import type { Decider } from './decider.js';
import { DomainError, type ErrorCode } from './errors.js';
import type { DomainEvent } from './events.js';

/** given(history).when(command).then(events) / .thenThrows(code), for decider tests. */
export function given<S, C, E extends DomainEvent>(decider: Decider<S, C, E>, history: E[] = []) {
  const state = history.reduce(decider.evolve, decider.initialState);
  return {
    when(command: C) {
      const run = () => decider.decide(command, state);
      return {
        then(expected: E[]) {
          expect(run()).toEqual(expected);
        },
        thenThrows(code: ErrorCode, message?: RegExp) {
          let error: unknown;
          try {
            run();
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(DomainError);
          expect((error as DomainError).code).toBe(code);
          if (message) expect((error as DomainError).message).toMatch(message);
        },
        state: () => run().reduce(decider.evolve, state),
      };
    },
  };
}
