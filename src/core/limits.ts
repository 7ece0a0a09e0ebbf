/** Input limits every dialect enforces at its edge; the deciders check the ones they own again. */
export const LIMITS = {
  /** Job and connection names, and ids chosen in a path (workspace ids). */
  nameLength: 200,
  /** A task's query. */
  queryLength: 10_000,
  /** How deeply objects and arrays may nest in a body. */
  depth: 32,
} as const;

/** Keys that would reach an object's prototype machinery: refused wherever they appear. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
