import type { Condition, Operand } from '../../jobs/task-query.js';
import { compareValues, type Row } from './connector.js';

/** Compiles a task condition to SQL with bound parameters (`?` or `$n` placeholders). */
export function conditionToSql(
  condition: Condition,
  quote: (identifier: string) => string,
  param: (value: unknown) => string,
): string {
  const operand = (o: Operand) => (o.kind === 'column' ? quote(o.name) : o.value === null ? 'NULL' : param(o.value));
  const sql = (c: Condition): string => {
    switch (c.kind) {
      case 'and':
        return `(${sql(c.left)} AND ${sql(c.right)})`;
      case 'or':
        return `(${sql(c.left)} OR ${sql(c.right)})`;
      case 'not':
        return `(NOT ${sql(c.condition)})`;
      case 'compare':
        return `${operand(c.left)} ${c.op} ${operand(c.right)}`;
      case 'isNull':
        return `${operand(c.operand)} IS ${c.negated ? 'NOT ' : ''}NULL`;
      case 'in':
        return `${operand(c.operand)} ${c.negated ? 'NOT ' : ''}IN (${c.values.map(operand).join(', ')})`;
      case 'like':
        return `${operand(c.operand)} ${c.negated ? 'NOT ' : ''}LIKE ${param(c.pattern)}`;
    }
  };
  return sql(condition);
}

/** Evaluates a task condition against a row read from a file (CSV sources have no SQL engine). */
export function matches(condition: Condition, row: Row): boolean {
  const value = (o: Operand) => (o.kind === 'column' ? row[o.name] ?? null : o.value);
  switch (condition.kind) {
    case 'and':
      return matches(condition.left, row) && matches(condition.right, row);
    case 'or':
      return matches(condition.left, row) || matches(condition.right, row);
    case 'not':
      return !matches(condition.condition, row);
    case 'isNull':
      return (value(condition.operand) === null) !== condition.negated;
    case 'in': {
      const v = value(condition.operand);
      return condition.values.some((o) => v !== null && compareValues(v, value(o)) === 0) !== condition.negated;
    }
    case 'like': {
      const v = value(condition.operand);
      const regex = new RegExp(`^${condition.pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, 'is');
      return v !== null && regex.test(String(v)) !== condition.negated;
    }
    case 'compare': {
      const l = value(condition.left);
      const r = value(condition.right);
      if (l === null || r === null) return false;
      const cmp = compareValues(l, r);
      return { '=': cmp === 0, '<>': cmp !== 0, '<': cmp < 0, '<=': cmp <= 0, '>': cmp > 0, '>=': cmp >= 0 }[condition.op];
    }
  }
}
