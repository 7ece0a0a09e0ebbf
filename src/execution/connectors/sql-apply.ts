import type { ApplyOptions } from './connector.js';
import { quoteIdent as quote } from './sql-tables.js';

/** The staging table's own column: the order rows came in, so that the last row of a key wins. */
export const STAGE_LINE = quote('__sluice_line__');

export interface StagedApply {
  /** Run in this order; each answers how many rows it changed. */
  update?: string;
  insert?: string;
  delete?: string;
  /** Columns to index on the staging table before applying, so that matching is not quadratic. */
  index?: string[];
}

/**
 * How rows staged in `stage` (a temporary table with the same columns plus STAGE_LINE) reach `target`, in
 * SQL that SQLite and PostgreSQL both run. UPDATE then INSERT of the keys still missing, never
 * `ON CONFLICT`: key columns need no unique constraint, and columns the upload leaves out are kept.
 */
export function stagedApply(target: string, stage: string, columns: string[], { mode, keys }: Pick<ApplyOptions, 'mode' | 'keys'>): StagedApply {
  const list = (names: string[], alias = '') => names.map((n) => `${alias}${quote(n)}`).join(', ');
  if (!keys?.length) {
    if (mode === 'delete') throw new Error('A delete needs key columns');
    return { insert: `INSERT INTO ${target} (${list(columns)}) SELECT ${list(columns)} FROM ${stage} ORDER BY ${STAGE_LINE}` };
  }
  const same = (a: string, b: string) => keys.map((k) => `${a}.${quote(k)} = ${b}.${quote(k)}`).join(' AND ');
  const index = [...keys, '__sluice_line__'];
  if (mode === 'delete') {
    return { delete: `DELETE FROM ${target} AS sluice_old WHERE EXISTS (SELECT 1 FROM ${stage} AS sluice_new WHERE ${same('sluice_new', 'sluice_old')})`, index };
  }
  // A key given twice: its last line wins. A NULL key matches nothing, so each such row is inserted.
  const latest = `(SELECT * FROM ${stage} AS a WHERE NOT EXISTS (SELECT 1 FROM ${stage} AS b WHERE ${same('b', 'a')} AND b.${STAGE_LINE} > a.${STAGE_LINE}))`;
  const key = new Set(keys);
  const others = columns.filter((c) => !key.has(c));
  const set = others.map((c) => `${quote(c)} = sluice_new.${quote(c)}`).join(', ');
  return {
    update: others.length ? `UPDATE ${target} AS sluice_old SET ${set} FROM ${latest} AS sluice_new WHERE ${same('sluice_old', 'sluice_new')}` : undefined,
    // A join rather than NOT EXISTS: SQLite then indexes the target's keys for the statement instead of
    // scanning the target once per row. A key that matched is not NULL, so a NULL key column means no match.
    insert:
      `INSERT INTO ${target} (${list(columns)}) SELECT ${list(columns, 'sluice_new.')} FROM ${latest} AS sluice_new` +
      ` LEFT JOIN ${target} AS sluice_old ON ${same('sluice_old', 'sluice_new')}` +
      ` WHERE sluice_old.${quote(keys[0])} IS NULL ORDER BY sluice_new.${STAGE_LINE}`,
    index,
  };
}
