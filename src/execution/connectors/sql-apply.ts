import { type ApplyOptions, type ColumnType, ConnectorError, type Row } from './connector.js';
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
    return { insert: `INSERT INTO ${target} (${list(columns)}) SELECT ${list(columns)} FROM ${stage} AS sluice_new ORDER BY ${STAGE_LINE}` };
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

/** The rows staged up to row `n`, in place of the stage in `stagedApply`: applying them alone finds the row a constraint refuses. */
export const stagePrefix = (stage: string, n: number) => `(SELECT * FROM ${stage} WHERE ${STAGE_LINE} <= ${Math.floor(n)})`;

/**
 * A row the store refuses, by its number among the rows given to `applyAll` (1 = the first): the caller, who
 * knows the file, names its line. The table is as it was.
 */
export class RowRejected extends ConnectorError {
  constructor(
    readonly row: number,
    readonly column: string,
    readonly problem: string,
  ) {
    super(`Row ${row}, column ${column}: ${problem}`);
  }
}

/** A value as messages show it, as the upload's own checks do. */
export function shown(value: unknown): string {
  const text = Buffer.isBuffer(value) ? value.toString('base64') : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  return `"${text.length > 100 ? `${text.slice(0, 100)}…` : text}"`;
}

export const NOT_NULL = 'no value, but the column is NOT NULL';

/** What a column's declared type and NOT NULL say about a value before it is staged: the problem, or null. */
export type ValueCheck = (value: unknown) => string | null;

const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * For a store that takes any value in any column (SQLite): an INTEGER column gets 64-bit integers (past that
 * SQLite would keep an inexact REAL), REAL and NUMERIC columns numbers, BOOLEAN ones booleans; NOT NULL a value.
 */
export function declaredCheck(type: ColumnType, notNull: boolean): ValueCheck | null {
  const kind = (value: unknown): string | null => {
    switch (type) {
      case 'integer': {
        if (typeof value === 'boolean' || (typeof value === 'number' && Number.isSafeInteger(value))) return null;
        const whole =
          typeof value === 'bigint' ? value : typeof value === 'string' && /^[-+]?\d+$/.test(value) ? BigInt(value) : Number.isInteger(value) ? BigInt(value as number) : null;
        if (whole === null) return 'is not an integer';
        return whole < INT64[0] || whole > INT64[1] ? 'is out of range for a 64-bit INTEGER' : null;
      }
      case 'real':
      case 'numeric':
        // NaN would be stored as NULL; SQLite keeps infinities.
        if ((typeof value === 'number' && !Number.isNaN(value)) || typeof value === 'bigint' || (typeof value === 'string' && NUMBER.test(value))) return null;
        return `is not a ${type}`;
      case 'boolean':
        return typeof value === 'boolean' || value === 0 || value === 1 ? null : 'is not a boolean (true, false, 1 or 0)';
      default:
        return null;
    }
  };
  if (!notNull && !['integer', 'real', 'numeric', 'boolean'].includes(type)) return null;
  return (value) => {
    if (value === null || value === undefined) return notNull ? NOT_NULL : null;
    const problem = kind(value);
    return problem && `${shown(value)} ${problem}`;
  };
}

/** Throws RowRejected for the first value of `rows` (numbered from `first`) its column's check refuses. */
export function checkRows(rows: Row[], names: string[], checks: Array<ValueCheck | null>, first: number): void {
  const checked = names.flatMap((name, j) => (checks[j] ? [[name, checks[j]] as const] : []));
  if (!checked.length) return;
  for (let i = 0; i < rows.length; i++) {
    for (const [name, check] of checked) {
      const problem = check(rows[i][name]);
      if (problem) throw new RowRejected(first + i, name, problem);
    }
  }
}

/**
 * The row that makes a statement over rows 1..count fail, in about log2(count) tries: `probe(n)` runs it over
 * rows 1..n (rolled back) and answers its error or null. Rows 1..n-1 pass and 1..n fail, so row n is one the
 * store refuses, even where the rows interact (a key given twice, a unique column); `error` is the whole
 * statement's, and what is answered is the error of rows 1..n.
 */
export async function firstFailing<E>(count: number, error: E, probe: (n: number) => Promise<E | null> | E | null): Promise<{ row: number; error: E }> {
  let [passes, fails] = [0, count];
  while (fails - passes > 1) {
    const mid = Math.floor((passes + fails) / 2);
    const failed = await probe(mid);
    if (failed === null) passes = mid;
    else [fails, error] = [mid, failed];
  }
  return { row: fails, error };
}

/** The columns an error's text names (a constraint's columns, `Key (email)=...`), the staged ones first. */
export function columnsIn(text: string, staged: string[], others: string[] = []): string[] {
  const names = (list: string[]) => list.filter((n) => new RegExp(`(^|[^\\w$])"?${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?($|[^\\w$])`, 'i').test(text));
  const found = names(staged);
  return found.length ? found : names(others);
}
