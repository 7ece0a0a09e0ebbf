import type { IndexSpec } from '../../core/read-store.js';

/** The FTS5 table that holds a collection's text index. */
export function ftsTable(collection: string): string {
  if (!/^[a-z][a-z0-9_]*$/.test(collection)) throw new Error(`Invalid collection name: ${collection}`);
  return `fts_${collection}`;
}

/** The collection's text index, if it declares one: at most one, as on MongoDB. */
export function textIndex(collection: string, indexes: IndexSpec[]): IndexSpec | undefined {
  const text = indexes.filter((ix) => ix.text);
  if (text.length > 1) throw new Error(`${collection} declares ${text.length} text indexes; one may cover several fields`);
  return text[0];
}

/**
 * An FTS5 table beside the collection's table `t`, kept in step by triggers, and filled with what `t`
 * already holds. Contentless (the documents have the text), with deletes, since documents are replaced and
 * deleted. The tokenizer keeps `_` inside words (`accounts_2024`) and diacritics apart, as MongoDB's does.
 */
export function textIndexSql(t: string, fts: string, fields: string[]): string[] {
  const names = fields.map((f) => `"${f}"`).join(', ');
  const values = (row: string) => fields.map((f) => `json_extract(${row}doc, '$.${f}')`).join(', ');
  return [
    `CREATE VIRTUAL TABLE ${fts} USING fts5(${names}, content='', contentless_delete=1, tokenize="unicode61 remove_diacritics 0 tokenchars '_'")`,
    `CREATE TRIGGER ${t}__fts_insert AFTER INSERT ON ${t} BEGIN INSERT INTO ${fts} (rowid, ${names}) VALUES (new.rowid, ${values('new.')}); END`,
    `CREATE TRIGGER ${t}__fts_update AFTER UPDATE ON ${t} BEGIN DELETE FROM ${fts} WHERE rowid = old.rowid; ` +
      `INSERT INTO ${fts} (rowid, ${names}) VALUES (new.rowid, ${values('new.')}); END`,
    `CREATE TRIGGER ${t}__fts_delete AFTER DELETE ON ${t} BEGIN DELETE FROM ${fts} WHERE rowid = old.rowid; END`,
    `INSERT INTO ${fts} (rowid, ${names}) SELECT rowid, ${values('')} FROM ${t}`,
  ];
}
