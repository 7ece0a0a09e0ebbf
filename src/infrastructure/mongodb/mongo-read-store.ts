import { type AnyBulkWriteOperation, type ClientSession, type Db, type Document, type Filter, MongoBulkWriteError, MongoClient, MongoServerError } from 'mongodb';
import {
  type CheckpointUpdate,
  CheckpointMovedError,
  type Doc,
  type DocWrite,
  type FindQuery,
  type IndexSpec,
  type Page,
  type ReadStore,
  decodeCursor,
  encodeCursor,
  fieldValue,
} from '../../core/read-store.js';
import { sortablePosition } from '../../core/events.js';

const DUPLICATE_KEY = 11000;

interface Stored {
  _id: string;
  [field: string]: unknown;
}

/**
 * Read models on MongoDB. Each document carries `_pos`, the position of the last write applied to it, so a
 * re-delivered batch changes nothing; where the server is a replica set the batch and its checkpoint also
 * commit in one transaction.
 */
export class MongoReadStore implements ReadStore {
  private readonly client: MongoClient;
  private readonly db: Db;
  private transactions: boolean | undefined;

  constructor(url: string) {
    this.client = new MongoClient(url);
    this.db = this.client.db();
  }

  async ensureCollection(name: string, indexes: IndexSpec[]): Promise<void> {
    const existing = await this.db.listCollections({ name }, { nameOnly: true }).toArray();
    if (existing.length === 0) await this.db.createCollection(name);
    for (const index of indexes) {
      await this.db.collection(name).createIndex(Object.fromEntries(index.fields.map((f) => [f === 'id' ? '_id' : f, 1])), {
        unique: index.unique ?? false,
      });
    }
  }

  async dropCollection(name: string): Promise<void> {
    await this.db.collection(name).drop().catch(() => undefined);
  }

  async get<T extends Doc>(collection: string, id: string): Promise<T | null> {
    const doc = await this.db.collection(collection).findOne({ _id: id as never });
    return doc ? fromMongo<T>(doc) : null;
  }

  async find<T extends Doc>(collection: string, query: FindQuery = {}): Promise<Page<T>> {
    const sortField = query.sort?.field ?? 'id';
    const mongoField = sortField === 'id' ? '_id' : sortField;
    const order = query.sort?.order ?? 1;
    const filter: Document = { ...renameId(query.filter ?? {}) };
    if (query.cursor) {
      const [value, id] = decodeCursor(query.cursor);
      const cmp = order === 1 ? '$gt' : '$lt';
      filter.$and = [{ $or: [{ [mongoField]: { [cmp]: value } }, { [mongoField]: value, _id: { [cmp]: id } }] }];
    }
    const limit = query.limit;
    let cursor = this.db
      .collection(collection)
      .find(filter)
      .sort({ [mongoField]: order, ...(mongoField === '_id' ? {} : { _id: order }) });
    if (limit !== undefined) cursor = cursor.limit(limit + 1);
    const docs = (await cursor.toArray()).map((d) => fromMongo<T>(d));
    const items = limit === undefined ? docs : docs.slice(0, limit);
    const last = items[items.length - 1];
    const next = limit !== undefined && docs.length > limit ? encodeCursor([fieldValue(last, sortField) ?? null, last.id]) : undefined;
    return { items, next };
  }

  async write(writes: DocWrite[], checkpoint?: CheckpointUpdate): Promise<void> {
    if (await this.supportsTransactions()) {
      const session = this.client.startSession();
      try {
        await session.withTransaction(() => this.writeAll(writes, checkpoint, session));
      } finally {
        await session.endSession();
      }
    } else {
      await this.writeAll(writes, checkpoint);
    }
  }

  private async writeAll(writes: DocWrite[], checkpoint: CheckpointUpdate | undefined, session?: ClientSession): Promise<void> {
    // Refuse a stale writer before it writes anything; the compare-and-set at the end catches a race.
    if (checkpoint && !session && (await this.checkpoint(checkpoint.projection)) !== checkpoint.expected) {
      throw new CheckpointMovedError(checkpoint.projection);
    }
    const pos = checkpoint ? sortablePosition(checkpoint.position) : undefined;
    const guard = (id: string): Filter<Stored> => (pos ? { _id: id, $or: [{ _pos: { $lt: pos } }, { _pos: { $exists: false } }] } : { _id: id });
    const byCollection = new Map<string, AnyBulkWriteOperation<Stored>[]>();
    for (const w of writes) {
      const ops = byCollection.get(w.collection) ?? [];
      byCollection.set(w.collection, ops);
      if (w.op === 'delete') ops.push({ deleteOne: { filter: { _id: w.id } } });
      else if (w.op === 'upsert') {
        const { id, ...rest } = w.doc;
        ops.push({ replaceOne: { filter: guard(id), replacement: pos ? { ...rest, _pos: pos } : rest, upsert: true } });
      } else {
        ops.push({ updateOne: { filter: guard(w.id), update: { $set: pos ? { ...w.set, _pos: pos } : w.set }, upsert: true } });
      }
    }
    // One write per document (the batch's unit of work merged them), so order does not matter.
    for (const [collection, ops] of byCollection) {
      try {
        await this.db.collection<Stored>(collection).bulkWrite(ops, { ordered: false, session });
      } catch (error) {
        // A guarded upsert of a document already past this position collides on _id: already applied.
        if (!onlyDuplicates(error)) throw error;
      }
    }
    // Last: without a transaction, a crash before this leaves guarded writes that a re-delivery skips.
    if (checkpoint) await this.moveCheckpoint(checkpoint, session);
  }

  private async moveCheckpoint({ projection, expected, position }: CheckpointUpdate, session?: ClientSession): Promise<void> {
    const checkpoints = this.db.collection<{ _id: string; position: string | null }>('checkpoints');
    if (expected === null) {
      const result = await checkpoints.updateOne(
        { _id: projection, position: null },
        { $set: { position } },
        { upsert: true, session },
      ).catch((error) => {
        if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return { matchedCount: 0, upsertedCount: 0 };
        throw error;
      });
      if (result.matchedCount + result.upsertedCount === 0) throw new CheckpointMovedError(projection);
      return;
    }
    const result = await checkpoints.updateOne({ _id: projection, position: expected }, { $set: { position } }, { session });
    if (result.matchedCount === 0) throw new CheckpointMovedError(projection);
  }

  async checkpoint(projection: string): Promise<string | null> {
    const doc = await this.db.collection<{ _id: string; position: string | null }>('checkpoints').findOne({ _id: projection });
    return doc?.position ?? null;
  }

  async swap(renames: Array<{ from: string; to: string }>, checkpoint: { projection: string; position: string | null }): Promise<void> {
    for (const { from, to } of renames) await this.db.collection(from).rename(to, { dropTarget: true });
    await this.db
      .collection<{ _id: string; position: string | null }>('checkpoints')
      .updateOne({ _id: checkpoint.projection }, { $set: { position: checkpoint.position } }, { upsert: true });
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
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
  const { _id, _pos, ...rest } = doc;
  return { id: String(_id), ...rest } as T;
}

function renameId(filter: Record<string, unknown>): Record<string, unknown> {
  if (!('id' in filter)) return filter;
  const { id, ...rest } = filter;
  return { _id: id, ...rest };
}
