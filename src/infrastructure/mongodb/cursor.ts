import type { Document } from 'mongodb';

/**
 * The documents after (value, id) in a sort on `field` then _id. MongoDB sorts null and missing values
 * first ascending and last descending, and a range operator never matches null (nor null a range), so
 * null cursors and the nulls still ahead of a non-null cursor each need their own clause.
 */
export function cursorFilter(field: string, order: 1 | -1, value: unknown, id: string): Document {
  const cmp = order === 1 ? '$gt' : '$lt';
  if (field === '_id') return { _id: { [cmp]: id } };
  if (value === null) {
    return order === 1 ? { $or: [{ [field]: null, _id: { $gt: id } }, { [field]: { $ne: null } }] } : { [field]: null, _id: { $lt: id } };
  }
  const after = [{ [field]: { [cmp]: value } }, { [field]: value, _id: { [cmp]: id } }];
  return { $or: order === 1 ? after : [...after, { [field]: null }] };
}
