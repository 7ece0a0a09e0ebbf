import Mustache from 'mustache';
import { DomainError } from '../core/errors.js';

/**
 * A task's raw SQL source (a Siren ingestion's `query`): a Mustache template read as is from a database
 * source. `{{max_primary_key}}` is the highest key value an earlier run loaded, and the section
 * `{{#max_primary_key}}...{{/max_primary_key}}` is left out while there is none, so one query does the
 * first full load and the incremental loads after it.
 */
export const MAX_PRIMARY_KEY = 'max_primary_key';

export function checkSourceQuery(template: string): void {
  if (typeof template !== 'string' || !template.trim()) throw new DomainError('VALIDATION', 'query must not be empty', 'query');
  let tokens: ReturnType<typeof Mustache.parse>;
  try {
    tokens = Mustache.parse(template);
  } catch (error) {
    throw new DomainError('TASK.QUERY_INVALID', `query is not a valid Mustache template: ${(error as Error).message}`, 'query');
  }
  // Unescaped values ({{{x}}}, {{&x}}) would put a source value into the statement as SQL.
  const unescaped = (list: unknown[][]): boolean => list.some((t) => t[0] === '&' || (Array.isArray(t[4]) && unescaped(t[4] as unknown[][])));
  if (unescaped(tokens)) {
    throw new DomainError('TASK.QUERY_INVALID', 'query must not use unescaped values ({{{...}}} or {{&...}}): write {{max_primary_key}}, Sluice quotes it', 'query');
  }
}

/**
 * The SQL to run: the template with the key value filled in. The value comes from the source's own rows, so
 * it is written as a SQL literal (a number as is, anything else quoted with quotes doubled) and can never
 * change the statement; a trailing semicolon is dropped since the query is read as a subquery.
 */
export function renderSourceQuery(template: string, maxPrimaryKey: unknown): string {
  const view = maxPrimaryKey === null || maxPrimaryKey === undefined ? {} : { [MAX_PRIMARY_KEY]: maxPrimaryKey };
  return Mustache.render(template, view, undefined, { escape: sqlLiteral })
    .trim()
    .replace(/;\s*$/, '');
}

function sqlLiteral(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  const text = String(value);
  return /^-?\d+(\.\d+)?$/.test(text) ? text : `'${text.replaceAll("'", "''")}'`;
}
