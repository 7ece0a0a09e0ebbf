import type Database from 'better-sqlite3';
import {
  APPLIED,
  type CheckpointUpdate,
  CheckpointMovedError,
  type Doc,
  type DocWrite,
  type FieldCondition,
  type FindQuery,
  type IndexSpec,
  type Lease,
  type Page,
  type ReadStore,
  decodeCursor,
  encodeCursor,
  fieldValue,
} from '../../core/read-store.js';
import { Logger } from '@nestjs/common';
import { WriteFaults } from '../../core/store-fault.js';
import { openStoreDatabase, probeWrite } from './open-database.js';
import { setPath } from '../../core/paths.js';

const NAME = /^[a-z][a-z0-9_]*$/;

/** Read models as SQLite tables of JSON documents, with indexes on json_extract expressions. */
export class SqliteReadStore implements ReadStore {
  private readonly db: Database.Database;
  private readonly cache = new Map<string, Database.Statement>();
  private readonly writes: WriteFaults;

  constructor(file: string) {
    this.writes = new WriteFaults('read store', file, (fault) => new Logger('ReadStore').error(fault.message));
    this.db = openStoreDatabase(file, 'read store', 'CREATE TABLE IF NOT EXISTS checkpoints (projection TEXT PRIMARY KEY, position TEXT)', this.writes);
    this.db.exec('CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL)');
  }

  async ensureCollection(name: string, indexes: IndexSpec[]): Promise<void> {
    const t = table(name);
    this.db.transaction(() => {
      this.db.exec(`CREATE TABLE IF NOT EXISTS ${t} (id TEXT PRIMARY KEY, doc TEXT NOT NULL)`);
      for (const index of indexes) {
        const columns = index.fields.map(column).join(', ');
        const ix = `ix_${t}__${index.fields.join('_').replace(/\W/g, '_')}`;
        this.db.exec(`CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${ix} ON ${t} (${columns})`);
      }
    })();
  }

  async dropCollection(name: string): Promise<void> {
    this.db.exec(`DROP TABLE IF EXISTS ${table(name)}`);
  }

  async get<T extends Doc>(collection: string, id: string): Promise<T | null> {
    const doc = await this.getApplied<T>(collection, id);
    return doc && withoutApplied(doc);
  }

  async getApplied<T extends Doc>(collection: string, id: string): Promise<(T & { [APPLIED]?: string }) | null> {
    const row = this.stmt(`SELECT doc FROM ${table(collection)} WHERE id = ?`).get(id) as { doc: string } | undefined;
    return row ? JSON.parse(row.doc) : null;
  }

  async find<T extends Doc>(collection: string, query: FindQuery = {}): Promise<Page<T>> {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [field, condition] of Object.entries(query.filter ?? {})) {
      where.push(...conditionSql(column(field), condition, params));
    }
    const sortField = query.sort?.field ?? 'id';
    const desc = query.sort?.order === -1;
    const sortColumn = column(sortField);
    if (query.cursor) {
      const [value, id] = decodeCursor(query.cursor);
      const cmp = desc ? '<' : '>';
      // NULLs sort first ascending and last descending; a comparison with NULL matches nothing.
      if (value === null) {
        where.push(desc ? `(${sortColumn} IS NULL AND id < ?)` : `(${sortColumn} IS NOT NULL OR id > ?)`);
        params.push(id);
      } else {
        where.push(`(${sortColumn} ${cmp} ? OR (${sortColumn} = ? AND id ${cmp} ?)${desc ? ` OR ${sortColumn} IS NULL` : ''})`);
        params.push(bind(value), bind(value), id);
      }
    }
    const limit = query.limit ?? -1;
    const dir = desc ? 'DESC' : 'ASC';
    const sql =
      `SELECT doc FROM ${table(collection)}` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY ${sortColumn} ${dir}, id ${dir} LIMIT ?`;
    const rows = this.stmt(sql).all(...params, limit === -1 ? -1 : limit + 1) as Array<{ doc: string }>;
    const items = rows.slice(0, limit === -1 ? undefined : limit).map((r) => withoutApplied(JSON.parse(r.doc) as T));
    const last = items[items.length - 1];
    const next = limit !== -1 && rows.length > limit ? encodeCursor([fieldValue(last, sortField) ?? null, last.id]) : undefined;
    return { items, next };
  }

  async write(writes: DocWrite[], checkpoint?: CheckpointUpdate): Promise<void> {
    const transaction = this.db.transaction(() => {
      if (checkpoint) this.moveCheckpoint(checkpoint);
      for (const w of writes) this.apply(w);
    });
    this.writes.run(() => transaction.immediate());
  }

  private apply(w: DocWrite): void {
    const t = table(w.collection);
    if (w.op === 'delete') {
      this.stmt(`DELETE FROM ${t} WHERE id = ?`).run(w.id);
      return;
    }
    let doc: Doc;
    if (w.op === 'upsert') {
      doc = w.doc;
    } else {
      const row = this.stmt(`SELECT doc FROM ${t} WHERE id = ?`).get(w.id) as { doc: string } | undefined;
      doc = row ? JSON.parse(row.doc) : { id: w.id };
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

  async swap(renames: Array<{ from: string; to: string }>, checkpoint: { projection: string; position: string | null }): Promise<void> {
    this.db.transaction(() => {
      for (const { from, to } of renames) {
        const [src, dst] = [table(from), table(to)];
        // Index names are global in SQLite: recreate the rebuilt table's indexes under the target's names.
        const indexes = this.db
          .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`)
          .all(src) as Array<{ name: string; sql: string }>;
        for (const ix of indexes) this.db.exec(`DROP INDEX ${ix.name}`);
        this.db.exec(`DROP TABLE IF EXISTS ${dst}`);
        this.db.exec(`ALTER TABLE ${src} RENAME TO ${dst}`);
        for (const ix of indexes) this.db.exec(ix.sql.split(src).join(dst));
      }
      this.setCheckpoint(checkpoint.projection, checkpoint.position);
    }).immediate();
    this.cache.clear();
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

function column(field: string): string {
  if (field === 'id') return 'id';
  if (!/^[A-Za-z_][\w.]*$/.test(field)) throw new Error(`Invalid field name: ${field}`);
  return `json_extract(doc, '$.${field}')`;
}

function bind(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return value;
}

function conditionSql(col: string, condition: FieldCondition, params: unknown[]): string[] {
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
    } else if (ops[op]) {
      parts.push(`${col} ${ops[op]} ?`);
      params.push(bind(value));
    } else {
      throw new Error(`Unsupported filter operator ${op}`);
    }
  }
  return parts;
}
