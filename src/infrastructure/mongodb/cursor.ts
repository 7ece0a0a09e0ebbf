import type { Document } from 'mongodb';

/** A sort key as MongoDB names it (`_id` for id), and whether the query lets its value be null. */
export interface MongoSortKey {
  field: string;
  order: 1 | -1;
  nullable: boolean;
}

/**
 * The documents after a cursor's `values` in a sort on `keys` (the last one _id), compared key by key.
 * MongoDB sorts null and missing values first ascending and last descending, and a range operator never
 * matches null (nor null a range), so null values and the nulls still ahead of a value get their own clauses.
 * A bound on the first key comes first, so the index range can use it.
 */
export function cursorFilter(keys: MongoSortKey[], values: unknown[]): Document {
  const after = (i: number): Document => {
    const { field, order, nullable } = keys[i];
    const [value, last] = [values[i], i === keys.length - 1];
    if (value === null) {
      if (order === 1) return last ? { [field]: { $ne: null } } : { $or: [{ [field]: { $ne: null } }, { $and: [{ [field]: null }, after(i + 1)] }] };
      return last ? { _id: { $in: [] } } : { $and: [{ [field]: null }, after(i + 1)] };
    }
    const beyond = { [field]: { [order === 1 ? '$gt' : '$lt']: value } };
    const clauses: Document[] = last ? [beyond] : [beyond, { $and: [{ [field]: value }, after(i + 1)] }];
    if (order === -1 && nullable) clauses.push({ [field]: null });
    return clauses.length === 1 ? clauses[0] : { $or: clauses };
  };
  const [first, v0] = [keys[0], values[0]];
  const bound = v0 !== null && (first.order === 1 || !first.nullable) ? [{ [first.field]: { [first.order === 1 ? '$gte' : '$lte']: v0 } }] : [];
  return { $and: [...bound, after(0)] };
}
