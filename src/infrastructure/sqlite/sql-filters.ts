import type { FieldCondition, SortKey } from '../../core/read-store.js';

/**
 * The rows after a cursor in a sort on `keys` (the last one id): lexicographic, with NULL first ascending and
 * last descending as ORDER BY puts it. A bound on the first key comes first so an index range can use it.
 */
export function cursorSql(keys: Array<SortKey & { nullable: boolean }>, values: unknown[], params: unknown[]): string[] {
  // Placeholders are bound in the order they appear, so each clause pushes its values as it writes them.
  const value = (v: unknown) => {
    params.push(bind(v));
    return '?';
  };
  const after = (i: number): string => {
    const { field, order, nullable } = keys[i];
    const [col, v, last] = [column(field), values[i], i === keys.length - 1];
    if (v === null) {
      if (order === 1) return last ? `${col} IS NOT NULL` : `(${col} IS NOT NULL OR (${col} IS NULL AND ${after(i + 1)}))`;
      return last ? '0' : `(${col} IS NULL AND ${after(i + 1)})`;
    }
    const beyond = `${col} ${order === 1 ? '>' : '<'} ${value(v)}`;
    const nulls = order === -1 && nullable ? ` OR ${col} IS NULL` : '';
    if (last) return `(${beyond}${nulls})`;
    const tie = `${col} = ${value(v)}`;
    return `(${beyond} OR (${tie} AND ${after(i + 1)})${nulls})`;
  };
  const [first, v0] = [keys[0], values[0]];
  const bound = v0 !== null && (first.order === 1 || !first.nullable) ? [`${column(first.field)} ${first.order === 1 ? '>=' : '<='} ${value(v0)}`] : [];
  return [...bound, after(0)];
}

export function column(field: string): string {
  if (field === 'id') return 'id';
  if (!/^[A-Za-z_][\w.]*$/.test(field)) throw new Error(`Invalid field name: ${field}`);
  return `json_extract(doc, '$.${field}')`;
}

function bind(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return value;
}

export function conditionSql(col: string, condition: FieldCondition, params: unknown[]): string[] {
  if (condition === null) return [`${col} IS NULL`];
  if (typeof condition !== 'object') {
    params.push(bind(condition));
    return [`${col} = ?`];
  }
  const parts: string[] = [];
  const ops: Record<string, string> = { $gte: '>=', $lte: '<=', $gt: '>', $lt: '<', $ne: 'IS NOT' };
  for (const [op, value] of Object.entries(condition)) {
    if (op === '$in') {
      const values = value as unknown[];
      if (values.length === 0) parts.push('0');
      else {
        parts.push(`${col} IN (${values.map(() => '?').join(', ')})`);
        params.push(...values.map(bind));
      }
    } else if (op === '$text') {
      throw new Error('$text is handled by the store, with the collection at hand');
    } else if (ops[op]) {
      parts.push(`${col} ${ops[op]} ?`);
      params.push(bind(value));
    } else {
      throw new Error(`Unsupported filter operator ${op}`);
    }
  }
  return parts;
}
