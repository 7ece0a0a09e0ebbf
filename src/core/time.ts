import { DomainError } from './errors.js';

/**
 * An ISO 8601 time as Sluice writes them (UTC, milliseconds), so times compare as strings. A date and time
 * without an offset is UTC, as every Sluice time is; anything `Date` cannot read is a 400 naming `field`.
 */
export function utcTime(value: string, field: string): string {
  const zoned = /T[^Z+-]*$/i.test(value) ? `${value}Z` : value;
  const time = new Date(zoned);
  if (Number.isNaN(time.getTime())) throw new DomainError('VALIDATION', `${field} must be an ISO 8601 time, e.g. 2026-11-23T08:00:00Z`, field);
  return time.toISOString();
}
