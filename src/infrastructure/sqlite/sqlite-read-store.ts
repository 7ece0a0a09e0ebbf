import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  APPLIED,
  type CheckpointUpdate,
  CheckpointMovedError,
  type Doc,
  type DocWrite,
  type FieldCondition,
  type Filter,
  type FindQuery,
  type IndexSpec,
  type Lease,
  type Page,
  type ReadStore,
  cursorAfter,
  decodeCursor,
  excludesNull,
  SWAPPED,
  sortKeys,
  textWords,
} from '../../core/read-store.js';
import { Logger } from '@nestjs/common';
import { WriteFaults } from '../../core/store-fault.js';
import { openStoreDatabase, probeWrite } from './open-database.js';
import { column, conditionSql, cursorSql } from './sql-filters.js';
import { ftsTable, textIndex, textIndexSql } from './text-index.js';
import { ReadCache } from './read-cache.js';
import { setPath } from '../../core/paths.js';

const NAME = /^[a-z][a-z0-9_]*$/;

/** Read models as SQLite tables of JSON documents, with indexes on json_extract expressions. */
export class SqliteReadStore implements ReadStore {
  private readonly db: Database.Database;
  private readonly cache = new Map<string, Database.Statement>();
  private readonly writes: WriteFaults;
  /** Per collection, the fields its text index covers: read from the schema once, forgotten when it changes. */
  private readonly textColumns = new Map<string, string[]>();
  private readonly answers: ReadCache;

  constructor(file: string) {
    this.writes = new WriteFaults('read store', file, (fault) => new Logger('ReadStore').error(fault.message));
    this.db = openStoreDatabase(file, 'read store', 'CREATE TABLE IF NOT EXISTS checkpoints (projection TEXT PRIMARY KEY, position TEXT)', this.writes);
    this.db.exec('CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL)');
    // Copying the WAL back every 10,000 pages rather than 1,000: a catch-up's large commits were a quarter slower.
    this.db.pragma('wal_autocheckpoint = 10000');
    const dataVersion = this.db.prepare('PRAGMA data_version').pluck();
    this.answers = new ReadCache(() => dataVersion.get() as number);
  }

  async ensureCollection(name: string, indexes: IndexSpec[]): Promise<void> {
    const t = table(name);
    const text = textIndex(name, indexes);
    this.db.transaction(() => {
      // A text-indexed table names its rowid (an INTEGER PRIMARY KEY), which the full-text index points at: VACUUM keeps it.
      this.db.exec(`CREATE TABLE IF NOT EXISTS ${t} (${text ? 'rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE' : 'id TEXT PRIMARY KEY'}, doc TEXT NOT NULL)`);
      for (const index of indexes) {
        if (index.text) continue;
        const columns = index.fields.map(column).join(', ');
        const ix = `ix_${t}__${index.fields.join('_').replace(/\W/g, '_')}`;
        this.db.exec(`CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${ix} ON ${t} (${columns})`);
      }
      if (text) this.ensureTextIndex(name, text.fields);
    })();
    this.textColumns.delete(name);
    this.answers.forgetAll();
  }

  private ensureTextIndex(name: string, fields: string[]): void {
    if (this.db.prepare(`SELECT 1 FROM sqlite_master WHERE name = ?`).get(ftsTable(name))) return;
    for (const statement of textIndexSql(table(name), ftsTable(name), fields)) this.db.exec(statement);
  }

  async dropCollection(name: string): Promise<void> {
    try {
      this.db.exec(`DROP TABLE IF EXISTS ${table(name)}`);
      this.db.exec(`DROP TABLE IF EXISTS ${ftsTable(name)}`);
    } finally {
      this.textColumns.delete(name);
      this.answers.forgetAll();
    }
  }

  async get<T extends Doc>(collection: string, id: string): Promise<T | null> {
    return this.answers.read(collection, `=${id}`, () => {
      const text = this.storedDoc(collection, id);
      return { value: text === undefined ? null : withoutApplied(JSON.parse(text) as T), chars: text?.length ?? 0 };
    });
  }

  async getApplied<T extends Doc>(collection: string, id: string): Promise<(T & { [APPLIED]?: string }) | null> {
    const text = this.storedDoc(collection, id);
    return text === undefined ? null : JSON.parse(text);
  }

  private storedDoc(collection: string, id: string): string | undefined {
    return (this.stmt(`SELECT doc FROM ${table(collection)} WHERE id = ?`).get(id) as { doc: string } | undefined)?.doc;
  }

  async find<T extends Doc>(collection: string, query: FindQuery = {}): Promise<Page<T>> {
    return this.answers.read(collection, JSON.stringify(query), () => {
      const where: string[] = [];
      const params: unknown[] = [];
      const filter = query.filter ?? {};
      where.push(...this.filterSql(collection, filter, params));
      const keys = sortKeys(query.sort);
      if (query.cursor) {
        const values = decodeCursor(query.cursor, keys.length);
        where.push(...cursorSql(keys.map((k) => ({ ...k, nullable: k.field !== 'id' && !excludesNull(filter[k.field]) })), values, params));
      }
      const limit = query.limit ?? -1;
      const sql =
        `SELECT doc FROM ${table(collection)}` +
        (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
        ` ORDER BY ${keys.map((k) => `${column(k.field)} ${k.order === -1 ? 'DESC' : 'ASC'}`).join(', ')} LIMIT ?`;
      const rows = this.stmt(sql).all(...params, limit === -1 ? -1 : limit + 1) as Array<{ doc: string }>;
      const items = rows.slice(0, limit === -1 ? undefined : limit).map((r) => withoutApplied(JSON.parse(r.doc) as T));
      const next = limit !== -1 && rows.length > limit ? cursorAfter(items[items.length - 1], keys) : undefined;
      return { value: { items, next }, chars: rows.reduce((n, r) => n + r.doc.length, 0) };
    });
  }

  private filterSql(collection: string, filter: Filter, params: unknown[]): string[] {
    return Object.entries(filter).flatMap(([field, condition]) => this.conditionSql(collection, field, condition, params));
  }

  private conditionSql(collection: string, field: string, condition: FieldCondition, params: unknown[]): string[] {
    if (condition === null || typeof condition !== 'object' || condition.$text === undefined) return conditionSql(column(field), condition, params);
    const { $text: text, ...rest } = condition;
    const fts = ftsTable(collection);
    if (!this.textColumnsOf(collection).includes(field)) throw new Error(`${collection}.${field} has no text index`);
    const words = textWords(text);
    if (words.length === 0) return ['0'];
    // Each word quoted (a phrase of one token), so none is read as an FTS5 operator.
    params.push(`"${field}" : (${words.map((w) => `"${w}"`).join(' AND ')})`);
    return [`rowid IN (SELECT rowid FROM ${fts} WHERE ${fts} MATCH ?)`, ...conditionSql(column(field), rest, params)];
  }

  /** The fields the collection's text index covers (none without one), as its FTS5 table declares them. */
  private textColumnsOf(collection: string): string[] {
    let columns = this.textColumns.get(collection);
    if (!columns) {
      const fts = ftsTable(collection);
      const exists = this.db.prepare(`SELECT 1 FROM sqlite_master WHERE name = ?`).get(fts);
      columns = exists ? (this.db.prepare(`SELECT name FROM pragma_table_info(?)`).all(fts) as Array<{ name: string }>).map((c) => c.name) : [];
      this.textColumns.set(collection, columns);
    }
    return columns;
  }

  async write(writes: DocWrite[], checkpoints: CheckpointUpdate[] = []): Promise<void> {
    const transaction = this.db.transaction(() => {
      checkpoints.forEach((c) => this.moveCheckpoint(c));
      for (const w of writes) this.apply(w);
    });
    try {
      this.writes.run(() => transaction.immediate());
    } finally {
      for (const collection of new Set(writes.map((w) => w.collection))) this.answers.changed(collection);
    }
  }

  private apply(w: DocWrite): void {
    const t = table(w.collection);
    if (w.op === 'delete') {
      this.stmt(`DELETE FROM ${t} WHERE id = ?`).run(w.id);
      return;
    }
    if (w.op === 'deleteWhere') {
      // The text index's delete trigger fires for each row, as for a single delete, so it forgets them too.
      const params: unknown[] = [];
      const where = this.filterSql(w.collection, w.filter, params);
      this.stmt(`DELETE FROM ${t}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`).run(...params);
      return;
    }
    let doc: Doc;
    if (w.op === 'upsert') {
      doc = w.doc;
    } else {
      const text = this.storedDoc(w.collection, w.id);
      doc = text === undefined ? { id: w.id } : JSON.parse(text);
      for (const [path, value] of Object.entries(w.set)) setPath(doc, path, value);
    }
    this.stmt(`INSERT INTO ${t} (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`).run(
      doc.id,
      JSON.stringify(doc),
    );
  }

  private moveCheckpoint({ projection, expected, position }: CheckpointUpdate): void {
    const current = this.readCheckpoint(projection);
    if (current !== expected) throw new CheckpointMovedError(projection);
    this.setCheckpoint(projection, position);
  }

  private readCheckpoint(projection: string): string | null {
    const row = this.stmt('SELECT position FROM checkpoints WHERE projection = ?').get(projection) as
      | { position: string | null }
      | undefined;
    return row?.position ?? null;
  }

  private setCheckpoint(projection: string, position: string | null): void {
    this.stmt(
      'INSERT INTO checkpoints (projection, position) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET position = excluded.position',
    ).run(projection, position);
  }

  async checkpoint(projection: string): Promise<string | null> {
    return this.readCheckpoint(projection);
  }

  async swap(renames: Array<{ from: string; to: string }>, checkpoint: { projection: string; position: string | null }, guard?: CheckpointUpdate): Promise<void> {
    this.db.transaction(() => {
      if (guard) this.moveCheckpoint(guard);
      for (const { from, to } of renames) {
        const [src, dst] = [table(from), table(to)];
        const [srcFts, dstFts] = [ftsTable(from), ftsTable(to)];
        // Index and trigger names are global in SQLite: recreate the rebuilt table's under the target's names.
        const owned = this.db
          .prepare(`SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ? AND sql IS NOT NULL`)
          .all(src) as Array<{ type: string; name: string; sql: string }>;
        for (const o of owned) this.db.exec(`DROP ${o.type.toUpperCase()} ${o.name}`);
        this.db.exec(`DROP TABLE IF EXISTS ${dst}`);
        this.db.exec(`DROP TABLE IF EXISTS ${dstFts}`);
        this.db.exec(`ALTER TABLE ${src} RENAME TO ${dst}`);
        if (this.db.prepare(`SELECT 1 FROM sqlite_master WHERE name = ?`).get(srcFts)) this.db.exec(`ALTER TABLE ${srcFts} RENAME TO ${dstFts}`);
        for (const o of owned) this.db.exec(o.sql.split(srcFts).join(dstFts).split(src).join(dst));
        this.textColumns.delete(from);
        this.textColumns.delete(to);
      }
      this.setCheckpoint(checkpoint.projection, checkpoint.position);
      this.setCheckpoint(SWAPPED, randomUUID());
    }).immediate();
    this.cache.clear();
    this.answers.forgetAll();
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const taken = this.stmt(
      `INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
       WHERE leases.owner = excluded.owner OR leases.expires_at < ?`,
    ).run(name, owner, now + ttlMs, now);
    return taken.changes > 0;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    this.stmt('DELETE FROM leases WHERE name = ? AND owner = ?').run(name, owner);
  }

  async lease(name: string): Promise<Lease | null> {
    const row = this.stmt('SELECT name, owner, expires_at FROM leases WHERE name = ?').get(name) as
      | { name: string; owner: string; expires_at: number }
      | undefined;
    return row ? { name: row.name, owner: row.owner, expiresAt: row.expires_at } : null;
  }

  /** Reads answer; after a failed write, a probe write says whether it can write again. */
  async commitsAtomically(): Promise<boolean> {
    return true;
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
    if (this.writes.fault) this.writes.run(() => probeWrite(this.db));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }
}

function withoutApplied<T extends Doc>(doc: T & { [APPLIED]?: string }): T {
  const { [APPLIED]: _applied, ...rest } = doc;
  return rest as T;
}

function table(collection: string): string {
  if (!NAME.test(collection)) throw new Error(`Invalid collection name: ${collection}`);
  return `rm_${collection}`;
}

