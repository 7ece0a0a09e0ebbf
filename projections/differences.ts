import { isDeepStrictEqual } from 'node:util';
import type { ReadModelDifference } from '../src/core/replays.js';
import type { Doc } from '../src/core/read-store.js';

/** The field named when a whole document is missing on one side. */
export const WHOLE_DOCUMENT = '(document)';

/**
 * Every field (dotted path; array items by index) in which the live document and the rebuilt one differ.
 * A document on one side only is one difference, on the field `(document)`, showing `absent` for the other.
 */
export function diffDocuments(collection: string, id: string, live: Doc | null, rebuilt: Doc | null): ReadModelDifference[] {
  if (!live && !rebuilt) return [];
  if (!live || !rebuilt) return [{ collection, id, field: WHOLE_DOCUMENT, live: live ? 'present' : 'absent', rebuilt: rebuilt ? 'present' : 'absent' }];
  const differences: ReadModelDifference[] = [];
  walk(live, rebuilt, '', (field, a, b) => differences.push({ collection, id, field, live: a, rebuilt: b }));
  return differences;
}

function walk(a: unknown, b: unknown, path: string, report: (field: string, a: unknown, b: unknown) => void): void {
  if (isDeepStrictEqual(a, b)) return;
  const join = (key: string | number) => (path ? `${path}.${key}` : String(key));
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((item, i) => walk(item, b[i], join(i), report));
    return;
  }
  if (isRecord(a) && isRecord(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[key], b[key], join(key), report);
    return;
  }
  report(path, a, b);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
