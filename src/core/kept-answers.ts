/**
 * A read store may keep the answers it is asked for again (the embedded one does): a kept answer is frozen
 * and given back as the very same object until what it was read from is written. The same frozen object
 * then means the same data, so what is derived from it only has to be derived once.
 */

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * `derive`, computed once for each kept answer `a` (and `b`, when given, the same object as last time);
 * anything not frozen is derived at every call. A value derived once is shared by every caller: frozen.
 */
export function derivedOnce<A extends object, R, B = undefined>(derive: (a: A, b: B) => R): (a: A, b?: B) => R {
  const derived = new WeakMap<A, { b?: B; value: R }>();
  return (a, b) => {
    const found = derived.get(a);
    if (found && found.b === b) return found.value;
    const value = derive(a, b as B);
    if (Object.isFrozen(a) && (b === undefined || Object.isFrozen(b))) derived.set(a, { b, value: deepFreeze(value) });
    return value;
  };
}
