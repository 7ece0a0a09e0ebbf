import { DomainError } from '../core/errors.js';
import { LIMITS, PROTOTYPE_KEYS } from '../core/limits.js';

type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

const WHITESPACE = /[\s,]/;
const DELIMITER = /[\s,()[\]{}"`;]/;

/**
 * Reads the part of EDN that has a JSON equivalent: maps with keyword or string keys, vectors, lists, sets of
 * scalars, strings, numbers, booleans, nil and keywords (as strings). Everything else — `1N`, `1.5M`, `##NaN`,
 * `##Inf`, tagged values, symbols, characters, sets of maps — is refused with the field it was sent in, rather
 * than stored as something other than what was sent. (edn-data's reader drops or rewrites several of these.)
 */
export function readEdn(text: string): Plain {
  const reader = new Reader(text);
  const value = reader.form([], 0);
  reader.skipSpace();
  if (!reader.atEnd()) throw reader.fail('only one value may be sent; more follows', []);
  return value;
}

class Reader {
  private at = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.at >= this.text.length;
  }

  fail(message: string, path: (string | number)[]): DomainError {
    const field = path.length ? path.join('.') : undefined;
    return new DomainError('VALIDATION', `The EDN body is invalid${field ? ` at ${field}` : ''}: ${message}`, field);
  }

  skipSpace(): void {
    for (;;) {
      const c = this.text[this.at];
      if (c !== undefined && WHITESPACE.test(c)) this.at++;
      else if (c === ';') while (!this.atEnd() && this.text[this.at] !== '\n') this.at++;
      else if (c === '#' && this.text[this.at + 1] === '_') {
        this.at += 2;
        this.form([], 0);
      } else return;
    }
  }

  form(path: (string | number)[], depth: number): Plain {
    this.skipSpace();
    if (this.atEnd()) throw this.fail('it ends before a value', path);
    const c = this.text[this.at];
    if (c === '{' || c === '[' || c === '(' || (c === '#' && this.text[this.at + 1] === '{')) {
      if (depth >= LIMITS.depth) throw this.fail(`values may nest at most ${LIMITS.depth} deep`, path);
      if (c === '{') return this.map(path, depth + 1);
      if (c === '#') return this.set(path, depth + 1);
      return this.sequence(c === '[' ? ']' : ')', path, depth + 1);
    }
    if (c === '"') return this.string(path);
    if (c === '#') {
      const tag = this.token();
      if (tag === '##NaN' || tag === '##Inf' || tag === '##-Inf') throw this.fail(`${tag} is not a number that can be stored`, path);
      throw this.fail(`tagged values (${tag}) cannot be stored; send the plain value`, path);
    }
    if (c === '\\') throw this.fail(`characters (${this.token()}) cannot be stored; send a string`, path);
    if (c === '}' || c === ']' || c === ')') throw this.fail(`unexpected "${c}" at character ${this.at}`, path);
    return this.atom(this.token(), path);
  }

  private token(): string {
    const start = this.at;
    this.at++;
    while (!this.atEnd() && !DELIMITER.test(this.text[this.at])) this.at++;
    return this.text.slice(start, this.at);
  }

  private atom(token: string, path: (string | number)[]): Plain {
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token.startsWith(':') && token.length > 1) return token.slice(1);
    if (/^[+-]?\d+N$/.test(token)) throw this.fail(`${token} is an arbitrary-precision integer that cannot be stored; send a plain number`, path);
    if (/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?M$/.test(token)) throw this.fail(`${token} is an exact decimal that cannot be stored; send a plain number`, path);
    if (/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(token)) {
      const n = Number(token);
      if (!Number.isFinite(n)) throw this.fail(`${token} is not a number that can be stored`, path);
      return n;
    }
    if (/^[+-]?\d/.test(token)) throw this.fail(`${token} is not a number`, path);
    throw this.fail(`symbols (${token}) cannot be stored; send a string or a keyword`, path);
  }

  private string(path: (string | number)[]): string {
    const escapes: Record<string, string> = { t: '\t', r: '\r', n: '\n', '\\': '\\', '"': '"', b: '\b', f: '\f' };
    let out = '';
    this.at++;
    for (;;) {
      if (this.atEnd()) throw this.fail('a string is not closed', path);
      const c = this.text[this.at++];
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[this.at++];
      if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.at, this.at + 4))) {
        out += String.fromCharCode(parseInt(this.text.slice(this.at, this.at + 4), 16));
        this.at += 4;
      } else if (e !== undefined && e in escapes) out += escapes[e];
      else throw this.fail(`unknown escape \\${e ?? ''} in a string`, path);
    }
  }

  /** The items up to `close`; each read with its index on the path. */
  private items(close: string, path: (string | number)[], depth: number): Plain[] {
    const items: Plain[] = [];
    for (;;) {
      this.skipSpace();
      if (this.atEnd()) throw this.fail(`"${close}" is missing`, path);
      if (this.text[this.at] === close) {
        this.at++;
        return items;
      }
      items.push(this.form([...path, items.length], depth));
    }
  }

  private sequence(close: string, path: (string | number)[], depth: number): Plain[] {
    this.at++;
    return this.items(close, path, depth);
  }

  private set(path: (string | number)[], depth: number): Plain[] {
    this.at += 2;
    const items = this.items('}', path, depth);
    if (items.some((i) => i !== null && typeof i === 'object')) throw this.fail('sets may hold only strings, numbers, keywords and booleans', path);
    if (new Set(items).size !== items.length) throw this.fail('a set holds a value twice', path);
    return items;
  }

  private map(path: (string | number)[], depth: number): { [key: string]: Plain } {
    this.at++;
    const out: { [key: string]: Plain } = {};
    for (;;) {
      this.skipSpace();
      if (this.atEnd()) throw this.fail('"}" is missing', path);
      if (this.text[this.at] === '}') {
        this.at++;
        return out;
      }
      const key = this.form(path, depth);
      if (typeof key !== 'string') throw this.fail('map keys must be keywords or strings', path);
      const at = [...path, key];
      if (PROTOTYPE_KEYS.has(key)) throw this.fail(`property ${key} should not exist`, at);
      if (Object.hasOwn(out, key)) throw this.fail(`the key ${key} is given twice`, at);
      this.skipSpace();
      if (this.atEnd() || this.text[this.at] === '}') throw this.fail(`the key ${key} has no value`, at);
      out[key] = this.form(at, depth);
    }
  }
}
