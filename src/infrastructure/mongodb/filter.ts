import type { Document } from 'mongodb';
import { type Filter, textWords } from '../../core/read-store.js';

export const mongoName = (field: string) => (field === 'id' ? '_id' : field);

/**
 * The filter in MongoDB's terms: id is _id, and a `$text` condition becomes one whole-word, case-insensitive
 * match per word, with word boundaries where the embedded store puts them (letters, digits and `_` make a
 * word), so both stores find the same lines. It narrows what the field's other conditions select.
 */
export function toMongoFilter(filter: Filter): Document {
  const out: Document = {};
  const and: Document[] = [];
  for (const [field, condition] of Object.entries(filter)) {
    if (condition === null || typeof condition !== 'object' || condition.$text === undefined) {
      out[mongoName(field)] = condition;
      continue;
    }
    const { $text: text, ...rest } = condition;
    const words = textWords(text);
    if (words.length === 0) return { _id: { $in: [] } };
    for (const word of words) and.push({ [field]: { $regex: `(?<![\\p{L}\\p{N}_])${word}(?![\\p{L}\\p{N}_])`, $options: 'i' } });
    if (Object.keys(rest).length) and.push({ [field]: rest });
  }
  if (and.length) out.$and = and;
  return out;
}
