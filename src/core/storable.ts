import { DomainError } from './errors.js';

/**
 * Event data is stored as JSON: a value JSON cannot hold would fail the append (bigint) or come back
 * changed (NaN and Infinity as null, functions and symbols dropped), so it is refused before anything is written.
 */
export function assertStorable(value: unknown, path = '', seen = new Set<object>()): void {
  const field = path || 'data';
  switch (typeof value) {
    case 'bigint':
      throw new DomainError('VALIDATION', `${field} is a big integer (${value}); only numbers up to ${Number.MAX_SAFE_INTEGER} can be stored`, field);
    case 'number':
      if (!Number.isFinite(value)) throw new DomainError('VALIDATION', `${field} is ${value}; only finite numbers can be stored`, field);
      return;
    case 'function':
    case 'symbol':
      throw new DomainError('VALIDATION', `${field} is a ${typeof value}, which cannot be stored`, field);
    case 'object':
      if (value === null || value instanceof Date) return;
      if (seen.has(value)) throw new DomainError('VALIDATION', `${field} refers to itself, which cannot be stored`, field);
      seen.add(value);
      if (Array.isArray(value)) value.forEach((item, i) => assertStorable(item, `${path}[${i}]`, seen));
      else for (const [key, item] of Object.entries(value)) assertStorable(item, path ? `${path}.${key}` : key, seen);
      seen.delete(value);
      return;
    default:
      return;
  }
}
