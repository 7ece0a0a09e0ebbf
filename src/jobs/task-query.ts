/**
 * CData's task queries: `REPLICATE [Dest] SELECT <columns> FROM [Src] [WHERE <condition>]`, or the short
 * `REPLICATE [Table]` (same name both sides). A tokenizer and a recursive-descent parser; conditions become
 * a small expression tree that SQL sources compile to SQL and CSV sources evaluate row by row.
 */
export type Operand = { kind: 'column'; name: string } | { kind: 'literal'; value: string | number | boolean | null };

export type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; condition: Condition }
  | { kind: 'compare'; op: '=' | '<>' | '<' | '<=' | '>' | '>='; left: Operand; right: Operand }
  | { kind: 'isNull'; operand: Operand; negated: boolean }
  | { kind: 'in'; operand: Operand; values: Operand[]; negated: boolean }
  | { kind: 'like'; operand: Operand; pattern: string; negated: boolean };

export interface TaskQuery {
  destination: string;
  source: string;
  /** '*' or the source columns, each with the name it gets in the destination. */
  columns: '*' | Array<{ name: string; as: string }>;
  where?: Condition;
}

export class TaskQueryError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'TaskQueryError';
  }
}

type Token = { type: 'ident' | 'word' | 'number' | 'string' | 'symbol' | 'end'; text: string; value?: string | number; pos: number };

const KEYWORDS = new Set(['REPLICATE', 'SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IS', 'NULL', 'IN', 'LIKE', 'AS', 'TRUE', 'FALSE', 'BETWEEN']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (message: string): never => {
    throw new TaskQueryError(`${message} at position ${i + 1}`, i);
  };
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '[' || c === '"' || c === '`') {
      const close = c === '[' ? ']' : c;
      const end = text.indexOf(close, i + 1);
      if (end < 0) fail(`Unclosed ${c}`);
      const name = text.slice(i + 1, end);
      if (!name.trim()) fail('Empty name');
      tokens.push({ type: 'ident', text: text.slice(i, end + 1), value: name, pos: i });
      i = end + 1;
    } else if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) fail('Unclosed string');
        if (text[j] === "'" && text[j + 1] === "'") {
          value += "'";
          j += 2;
        } else if (text[j] === "'") break;
        else value += text[j++];
      }
      tokens.push({ type: 'string', text: text.slice(i, j + 1), value, pos: i });
      i = j + 1;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const m = /^-?\d+(\.\d+)?/.exec(text.slice(i))!;
      tokens.push({ type: 'number', text: m[0], value: Number(m[0]), pos: i });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)*/.exec(text.slice(i))!;
      const upper = m[0].toUpperCase();
      tokens.push(KEYWORDS.has(upper) ? { type: 'word', text: upper, pos: i } : { type: 'ident', text: m[0], value: m[0], pos: i });
      i += m[0].length;
    } else {
      const m = /^(<>|!=|<=|>=|[=<>(),*;.])/.exec(text.slice(i));
      if (!m) fail(`Unexpected character '${c}'`);
      tokens.push({ type: 'symbol', text: m![0] === '!=' ? '<>' : m![0], pos: i });
      i += m![0].length;
    }
  }
  tokens.push({ type: 'end', text: 'end of query', pos: text.length });
  return tokens;
}

export function parseTaskQuery(text: string): TaskQuery {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];
  const fail = (expected: string): never => {
    const t = peek();
    throw new TaskQueryError(`Expected ${expected} at position ${t.pos + 1}, found ${t.type === 'end' ? 'the end of the query' : `'${t.text}'`}`, t.pos);
  };
  const isWord = (w: string) => peek().type === 'word' && peek().text === w;
  const isSymbol = (s: string) => peek().type === 'symbol' && peek().text === s;
  const word = (w: string) => (isWord(w) ? tokens[at++] : fail(w));
  const symbol = (s: string) => (isSymbol(s) ? tokens[at++] : fail(`'${s}'`));

  const name = (what: string): string => {
    const parts = [peek().type === 'ident' ? String(tokens[at++].value) : fail(what)];
    while (isSymbol('.')) {
      at++;
      parts.push(peek().type === 'ident' ? String(tokens[at++].value) : fail(what));
    }
    return parts.join('.');
  };

  const operand = (): Operand => {
    const t = peek();
    if (t.type === 'ident') return { kind: 'column', name: name('a column') };
    if (t.type === 'number' || t.type === 'string') return at++, { kind: 'literal', value: t.value! };
    if (isWord('NULL')) return at++, { kind: 'literal', value: null };
    if (isWord('TRUE') || isWord('FALSE')) return at++, { kind: 'literal', value: t.text === 'TRUE' };
    return fail('a column or a value');
  };

  const predicate = (): Condition => {
    if (isSymbol('(')) {
      at++;
      const inner = or();
      symbol(')');
      return inner;
    }
    const left = operand();
    if (isWord('IS')) {
      at++;
      const negated = isWord('NOT') ? (at++, true) : false;
      word('NULL');
      return { kind: 'isNull', operand: left, negated };
    }
    const negated = isWord('NOT') ? (at++, true) : false;
    if (isWord('IN')) {
      at++;
      symbol('(');
      const values = [operand()];
      while (isSymbol(',')) at++, values.push(operand());
      symbol(')');
      return { kind: 'in', operand: left, values, negated };
    }
    if (isWord('LIKE')) {
      at++;
      const t = peek();
      if (t.type !== 'string') fail('a quoted pattern');
      at++;
      return { kind: 'like', operand: left, pattern: String(t.value), negated };
    }
    if (isWord('BETWEEN')) {
      at++;
      const low = operand();
      word('AND');
      const high = operand();
      const range: Condition = {
        kind: 'and',
        left: { kind: 'compare', op: '>=', left, right: low },
        right: { kind: 'compare', op: '<=', left, right: high },
      };
      return negated ? { kind: 'not', condition: range } : range;
    }
    if (negated) fail('IN, LIKE or BETWEEN after NOT');
    const op = peek();
    if (op.type !== 'symbol' || !['=', '<>', '<', '<=', '>', '>='].includes(op.text)) fail('a comparison (=, <>, <, <=, >, >=, IS, IN, LIKE, BETWEEN)');
    at++;
    return { kind: 'compare', op: op.text as '=', left, right: operand() };
  };

  const not = (): Condition => (isWord('NOT') ? (at++, { kind: 'not', condition: not() }) : predicate());
  const and = (): Condition => {
    let left = not();
    while (isWord('AND')) at++, (left = { kind: 'and', left, right: not() });
    return left;
  };
  const or = (): Condition => {
    let left = and();
    while (isWord('OR')) at++, (left = { kind: 'or', left, right: and() });
    return left;
  };

  // A table may be a file in a directory (CSV): its name must not lead out of that directory.
  const table = (what: string): string => {
    const pos = peek().pos;
    const found = name(what);
    if (/[/\\\0]/.test(found) || found === '.' || found === '..') {
      throw new TaskQueryError(`Table name '${found}' at position ${pos + 1} may not contain / or \\ or be . or ..`, pos);
    }
    return found;
  };

  word('REPLICATE');
  const destination = table('a destination table such as [Accounts]');
  let result: TaskQuery = { destination, source: destination, columns: '*' };
  const hasSelect = isWord('SELECT');
  if (hasSelect) {
    at++;
    let columns: TaskQuery['columns'];
    if (isSymbol('*')) {
      at++;
      columns = '*';
    } else {
      columns = [];
      do {
        if (columns.length) at++;
        const column = name('a column or *');
        const as = isWord('AS') ? (at++, name('a column alias')) : column;
        columns.push({ name: column, as });
      } while (isSymbol(','));
    }
    word('FROM');
    const source = table('a source table');
    const where = isWord('WHERE') ? (at++, or()) : undefined;
    result = { destination, source, columns, ...(where ? { where } : {}) };
  }
  if (isSymbol(';')) at++;
  if (peek().type !== 'end') fail(hasSelect ? 'WHERE or the end of the query' : 'SELECT or the end of the query');
  return result;
}

/** The columns a condition reads, to check them against the source table. */
export function conditionColumns(condition: Condition | undefined): string[] {
  if (!condition) return [];
  switch (condition.kind) {
    case 'and':
    case 'or':
      return [...conditionColumns(condition.left), ...conditionColumns(condition.right)];
    case 'not':
      return conditionColumns(condition.condition);
    case 'compare':
      return [condition.left, condition.right].flatMap((o) => (o.kind === 'column' ? [o.name] : []));
    case 'isNull':
    case 'like':
      return condition.operand.kind === 'column' ? [condition.operand.name] : [];
    case 'in':
      return [condition.operand, ...condition.values].flatMap((o) => (o.kind === 'column' ? [o.name] : []));
  }
}
