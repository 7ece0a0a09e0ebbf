import { DomainError } from '../core/errors.js';
import { readEdn } from './edn-reader.js';

const refusal = (text: string) => {
  try {
    readEdn(text);
  } catch (error) {
    if (error instanceof DomainError) return { code: error.code, field: error.field };
    throw error;
  }
  throw new Error(`${text} was read`);
};

describe('EDN reader', () => {
  it('reads the EDN that has a JSON equivalent', () => {
    expect(readEdn('{:name "x" :n -1.5e3, "k" [1 (2 3)] :s #{"a" :b} :f false :z nil :kw :Std ; comment\n :skip #_ 1 true}')).toEqual({
      name: 'x',
      n: -1500,
      k: [1, [2, 3]],
      s: ['a', 'b'],
      f: false,
      z: null,
      kw: 'Std',
      skip: true,
    });
    expect(readEdn('"a\\tb\\u0041"')).toBe('a\tbA');
  });

  it('refuses what it cannot store as sent, naming the field', () => {
    const cases: Array<[string, string | undefined]> = [
      ['{:a 1N}', 'a'],
      ['{:a {:b 1.5M}}', 'a.b'],
      ['{:a [1 ##NaN]}', 'a.1'],
      ['{:a ##Inf :b 1}', 'a'],
      ['{:a #inst "2026-01-01"}', 'a'],
      ['{:a #uuid "550e8400-e29b-41d4-a716-446655440000"}', 'a'],
      ['{:a #{{:b 1}}}', 'a'],
      ['{:a #{1 1}}', 'a'],
      ['{:a sym}', 'a'],
      ['{:a \\c}', 'a'],
      ['{:a 1 :a 2}', 'a'],
      ['{:a}', 'a'],
      ['{[1] 2}', undefined],
      ['{"__proto__" {}}', '__proto__'],
      ['{:a 1} {:b 2}', undefined],
      ['{:a "open', 'a'],
      [`{:a ${'['.repeat(2000)}${']'.repeat(2000)}}`, `a${'.0'.repeat(31)}`],
    ];
    for (const [text, field] of cases) expect({ text, ...refusal(text) }).toEqual({ text, code: 'VALIDATION', field });
  });
});
