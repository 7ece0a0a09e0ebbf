import type { Document } from 'mongodb';
import { type Filter, textWords } from '../../core/read-store.js';

export const mongoName = (field: string) => (field === 'id' ? '_id' : field);

/**
 * The filter in MongoDB's terms: id is _id, and a `$text` condition becomes the collection's $text search
 * (any of the words, through the text index) narrowed by one whole-word, case-insensitive match per word,
 * so every word must appear in that field as it must on the embedded store.
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
    out.$text = { $search: words.join(' '), $caseSensitive: false };
    for (const word of words) and.push({ [field]: { $regex: `(?<![\\p{L}\\p{N}_])${word}(?![\\p{L}\\p{N}_])`, $options: 'i' } });
    if (Object.keys(rest).length) and.push({ [field]: rest });
  }
  if (and.length) out.$and = and;
  return out;
}
