import { randomUUID } from 'node:crypto';
import { type AnyBulkWriteOperation, type ClientSession, type Db, type Document, type Filter, MongoBulkWriteError, MongoClient, MongoServerError } from 'mongodb';
import {
  APPLIED,
  type CheckpointUpdate,
  CheckpointMovedError,
  type Doc,
  type DocWrite,
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
} from '../../core/read-store.js';
import { cursorFilter } from './cursor.js';
import { mongoName, toMongoFilter } from './filter.js';

const DUPLICATE_KEY = 11000;
const NAMESPACE_EXISTS = 48;
/** How long a read trusts its cached collection names; writes and checkpoint reads always look them up. */
const CATALOG_TTL_MS = 1000;

interface Stored {
  _id: string;
  [field: string]: unknown;
}

/**
 * Read models on MongoDB. Each read model is a logical name mapped (in `catalog`) to the collection that
 * holds it, so a rebuilt copy is swapped in by changing the mapping and the checkpoint together: in one
 * transaction where the server is a replica set. There every batch also commits with its checkpoint in
 * one transaction; without transactions each document's APPLIED position guards it against a stale writer.
 */
export class MongoReadStore implements ReadStore {
  private readonly client: MongoClient;
  private readonly db: Db;
  private transactions: boolean | undefined;
  private readonly names = new Map<string, { physical: string; until: number }>();

  constructor(url: string) {
    // Without a database in the URL the driver quietly uses "test": refuse that rather than scatter read models.
    if (!/^mongodb(\+srv)?:\/\/[^/]+\/[^/?]+/.test(url)) {
      throw new Error('SLUICE_MONGODB_URL must name a database, e.g. mongodb://host:27017/sluice');
    }
    this.client = new MongoClient(url);
    this.db = this.client.db();
  }

  async ensureCollection(name: string, indexes: IndexSpec[]): Promise<void> {
    const physical = await this.physical(name, true);
    // Two instances starting together may both create it: the loser's NamespaceExists means it is there.
    await this.db.createCollection(physical).catch((error) => {
      if (!(error instanceof MongoServerError && error.code === NAMESPACE_EXISTS)) throw error;
    });
    for (const index of indexes) {
      // A text index is not built: MongoDB's own tokenizer splits words elsewhere than the embedded store's
      // (it keeps `€` inside a word), so words are matched by regex over what the other conditions select.
      if (index.text) continue;
      const keys = Object.fromEntries(index.fields.map((f) => [f === 'id' ? '_id' : f, 1]));
      await this.db.collection(physical).createIndex(keys, { unique: index.unique ?? false });
    }
  }

  async dropCollection(name: string): Promise<void> {
    await this.db.collection(await this.physical(name, true)).drop().catch(() => undefined);
  }

  async get<T extends Doc>(collection: string, id: string): Promise<T | null> {
    const doc = await this.getApplied<T>(collection, id);
    if (!doc) return null;
    const { [APPLIED]: _applied, ...rest } = doc;
    return rest as T;
  }

  async getApplied<T extends Doc>(collection: string, id: string): Promise<(T & { [APPLIED]?: string }) | null> {
    const doc = await this.db.collection(await this.physical(collection)).findOne({ _id: id as never });
    if (!doc) return null;
    const { _id, ...rest } = doc;
    return { id: String(_id), ...rest } as T & { [APPLIED]?: string };
  }

  async find<T extends Doc>(collection: string, query: FindQuery = {}): Promise<Page<T>> {
    const keys = sortKeys(query.sort);
    const given = query.filter ?? {};
    const filter = toMongoFilter(given);
    if (query.cursor) {
      const values = decodeCursor(query.cursor, keys.length);
      const mongoKeys = keys.map((k) => ({ field: mongoName(k.field), order: k.order, nullable: k.field !== 'id' && !excludesNull(given[k.field]) }));
      filter.$and = [...(filter.$and ?? []), cursorFilter(mongoKeys, values)];
    }
    const limit = query.limit;
    let cursor = this.db
      .collection(await this.physical(collection))
      .find(filter)
      .sort(Object.fromEntries(keys.map((k) => [mongoName(k.field), k.order])));
    if (limit !== undefined) cursor = cursor.limit(limit + 1);
    const docs = (await cursor.toArray()).map((d) => fromMongo<T>(d));
    const items = limit === undefined ? docs : docs.slice(0, limit);
    const next = limit !== undefined && docs.length > limit ? cursorAfter(items[items.length - 1], keys) : undefined;
    return { items, next };
  }

  async write(writes: DocWrite[], checkpoints: CheckpointUpdate[] = []): Promise<void> {
    if (await this.supportsTransactions()) {
      await this.inTransaction((session) => this.writeAll(writes, checkpoints, session));
    } else {
      await this.writeAll(writes, checkpoints);
    }
  }

  private async inTransaction(work: (session: ClientSession) => Promise<void>): Promise<void> {
    const session = this.client.startSession();
    try {
      await session.withTransaction(() => work(session));
    } finally {
      await session.endSession();
    }
  }

  private async writeAll(writes: DocWrite[], checkpoints: CheckpointUpdate[], session?: ClientSession): Promise<void> {
    // Refuse a stale writer before it writes anything; in a transaction these reads and the writes below commit together.
    for (const { projection, expected } of checkpoints) {
      if ((await this.readCheckpoint(projection, session)) !== expected) throw new CheckpointMovedError(projection);
    }
    // In a transaction the checkpoint check is the guard, and a duplicate key would abort it: plain writes.
    const guard = (id: string, applied: unknown): Filter<Stored> =>
      session || typeof applied !== 'string' ? { _id: id } : { _id: id, $or: [{ [APPLIED]: { $lt: applied } }, { [APPLIED]: { $exists: false } }] };
    // An unordered bulk write runs its deletes after its updates, so a deleteWhere closes the collection's
    // current bulk and runs as one of its own: a write given after it is never removed by it.
    const byCollection = new Map<string, AnyBulkWriteOperation<Stored>[][]>();
    for (const w of writes) {
      const steps = byCollection.get(w.collection) ?? [[]];
      byCollection.set(w.collection, steps);
      if (w.op === 'deleteWhere') {
        steps.push([{ deleteMany: { filter: toMongoFilter(w.filter) as Filter<Stored> } }], []);
        continue;
      }
      const ops = steps[steps.length - 1];
      if (w.op === 'delete') ops.push({ deleteOne: { filter: { _id: w.id } } });
      else if (w.op === 'upsert') {
        const { id, ...rest } = w.doc;
        ops.push({ replaceOne: { filter: guard(id, rest[APPLIED]), replacement: rest, upsert: true } });
      } else {
        ops.push({ updateOne: { filter: { _id: w.id }, update: { $set: w.set }, upsert: true } });
      }
    }
    // One write per document (the batch's unit of work merged them), collection by collection in the order
    // given: without a transaction a failure part way leaves the later collections behind, never ahead.
    for (const [collection, steps] of byCollection) {
      const target = this.db.collection<Stored>(await this.physical(collection, true, session));
      for (const ops of steps) {
        if (ops.length === 0) continue;
        try {
          await target.bulkWrite(ops, { ordered: false, session });
        } catch (error) {
          // Outside a transaction, a guarded upsert of a document already past this position collides on _id: already applied.
          if (session || !onlyDuplicates(error)) throw error;
        }
      }
    }
    // Last: without a transaction, a crash before this leaves guarded writes that a re-delivery skips.
    for (const checkpoint of checkpoints) await this.moveCheckpoint(checkpoint, session);
  }

  private async moveCheckpoint({ projection, expected, position }: CheckpointUpdate, session?: ClientSession): Promise<void> {
    const checkpoints = this.db.collection<{ _id: string; position: string | null }>('checkpoints');
    if (session) {
      // Checked at the start of this transaction: a concurrent writer makes the commit fail, not this upsert.
      await checkpoints.updateOne({ _id: projection }, { $set: { position } }, { upsert: true, session });
      return;
    }
    if (expected === null) {
      const result = await checkpoints.updateOne({ _id: projection, position: null }, { $set: { position } }, { upsert: true }).catch((error) => {
        if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return { matchedCount: 0, upsertedCount: 0 };
        throw error;
      });
      if (result.matchedCount + result.upsertedCount === 0) throw new CheckpointMovedError(projection);
      return;
    }
    const result = await checkpoints.updateOne({ _id: projection, position: expected }, { $set: { position } });
    if (result.matchedCount === 0) throw new CheckpointMovedError(projection);
  }

  async checkpoint(projection: string): Promise<string | null> {
    return this.readCheckpoint(projection);
  }

  private async readCheckpoint(projection: string, session?: ClientSession): Promise<string | null> {
    const doc = await this.db.collection<{ _id: string; position: string | null }>('checkpoints').findOne({ _id: projection }, { session });
    return doc?.position ?? null;
  }

  /**
   * Points each target name at its rebuilt collection and moves the checkpoint (one transaction where the
   * server has them); the rebuilt names get fresh collections, and the replaced ones are dropped after.
   */
  async swap(renames: Array<{ from: string; to: string }>, checkpoint: { projection: string; position: string | null }, guard?: CheckpointUpdate): Promise<void> {
    const replaced: string[] = [];
    const work = async (session?: ClientSession) => {
      replaced.length = 0;
      if (guard) {
        if ((await this.readCheckpoint(guard.projection, session)) !== guard.expected) throw new CheckpointMovedError(guard.projection);
        await this.moveCheckpoint(guard, session);
      }
      const catalog = this.db.collection<{ _id: string; physical: string }>('catalog');
      for (const { from, to } of renames) {
        const [source, target] = [await this.physical(from, true, session), await this.physical(to, true, session)];
        replaced.push(target);
        await catalog.updateOne({ _id: to }, { $set: { physical: source } }, { upsert: true, session });
        await catalog.updateOne({ _id: from }, { $set: { physical: `${from}_${randomUUID().slice(0, 8)}` } }, { upsert: true, session });
      }
      await this.db
        .collection<{ _id: string; position: string | null }>('checkpoints')
        .updateOne({ _id: checkpoint.projection }, { $set: { position: checkpoint.position } }, { upsert: true, session });
      await this.db.collection<{ _id: string; position: string }>('checkpoints').updateOne({ _id: SWAPPED }, { $set: { position: randomUUID() } }, { upsert: true, session });
    };
    if (await this.supportsTransactions()) await this.inTransaction(work);
    else await work();
    this.names.clear();
    for (const name of replaced) await this.db.collection(name).drop().catch(() => undefined);
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const leases = this.db.collection<{ _id: string; owner: string; expiresAt: number }>('leases');
    try {
      await leases.updateOne({ _id: name, $or: [{ owner }, { expiresAt: { $lt: now } }] }, { $set: { owner, expiresAt: now + ttlMs } }, { upsert: true });
      return true;
    } catch (error) {
      // Held by another owner: the filter missed and the upsert collided with the existing lease.
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.db.collection<{ _id: string; owner: string }>('leases').deleteOne({ _id: name, owner });
  }

  async lease(name: string): Promise<Lease | null> {
    const doc = await this.db.collection<{ _id: string; owner: string; expiresAt: number }>('leases').findOne({ _id: name });
    return doc ? { name: doc._id, owner: doc.owner, expiresAt: doc.expiresAt } : null;
  }

  commitsAtomically(): Promise<boolean> {
    return this.supportsTransactions();
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** The collection that holds a read model now: its catalog entry, or the name itself before any rebuild. */
  private async physical(name: string, fresh = false, session?: ClientSession): Promise<string> {
    const cached = this.names.get(name);
    if (!fresh && !session && cached && cached.until > Date.now()) return cached.physical;
    const entry = await this.db.collection<{ _id: string; physical: string }>('catalog').findOne({ _id: name }, { session });
    const physical = entry?.physical ?? name;
    this.names.set(name, { physical, until: Date.now() + CATALOG_TTL_MS });
    return physical;
  }

  private async supportsTransactions(): Promise<boolean> {
    if (this.transactions === undefined) {
      const hello = await this.db.admin().command({ hello: 1 });
      this.transactions = Boolean(hello.setName) || hello.msg === 'isdbgrid';
    }
    return this.transactions;
  }
}

/** Only collisions on _id (a guarded upsert that was already applied); a declared unique index still fails. */
function onlyDuplicates(error: unknown): boolean {
  const onId = (code: unknown, message: unknown) => code === DUPLICATE_KEY && String(message).includes('_id_');
  if (error instanceof MongoBulkWriteError) {
    const errors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    return errors.length > 0 && errors.every((e) => onId(e.code, e.errmsg));
  }
  return error instanceof MongoServerError && onId(error.code, error.message);
}

function fromMongo<T extends Doc>(doc: Document): T {
  const { _id, [APPLIED]: _applied, ...rest } = doc;
  return { id: String(_id), ...rest } as T;
}
