import { createHash } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { type Collection, type Db, type Filter, GridFSBucket, type GridFSBucketWriteStream, type GridFSFile, MongoClient, ObjectId } from 'mongodb';
import {
  asBytes,
  checkFileName,
  DEFAULT_CONTENT_TYPE,
  type FileStore,
  FileTooLargeError,
  type PutOptions,
  type StoredFile,
} from '../../core/file-store.js';

const BUCKET = 'files';
/** Not a valid file name (':' is refused), so an upload in progress never shows under a real name. */
const PARTIAL = 'partial:';
/** Longer than any upload takes: what an interrupted upload left older than this is removed. */
const STALE_MS = 24 * 60 * 60 * 1000;

interface Metadata {
  contentType: string;
  complete: boolean;
  sha256?: string;
}

type FileDoc = GridFSFile & { metadata: Metadata };

/**
 * Files in MongoDB GridFS (bucket `files`). GridFS inserts the files document only after the last chunk,
 * so a crash or a failed upload leaves chunks that no files document points at, invisible to every read
 * here; an upload is further written under a temporary name with `complete: false`, then renamed and marked
 * complete in one update, which is the moment it becomes visible. Older files of the same name are removed
 * after; until then reads take the newest. Leftovers of interrupted uploads are swept once, at the first put.
 */
export class GridFsFileStore implements FileStore {
  private readonly client: MongoClient;
  private readonly db: Db;
  private readonly bucket: GridFSBucket;
  private readonly files: Collection<FileDoc>;
  private readonly chunks: Collection<{ files_id: ObjectId }>;
  private swept?: Promise<void>;

  constructor(url: string) {
    // As the read store: without a database in the URL the driver quietly uses "test".
    if (!/^mongodb(\+srv)?:\/\/[^/]+\/[^/?]+/.test(url)) {
      throw new Error('SLUICE_MONGODB_URL must name a database, e.g. mongodb://host:27017/sluice');
    }
    this.client = new MongoClient(url);
    this.db = this.client.db();
    this.bucket = new GridFSBucket(this.db, { bucketName: BUCKET });
    this.files = this.db.collection<FileDoc>(`${BUCKET}.files`);
    this.chunks = this.db.collection(`${BUCKET}.chunks`);
  }

  async put(name: string, content: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, options: PutOptions = {}): Promise<StoredFile> {
    checkFileName(name);
    this.swept ??= this.sweep().catch(() => {
      this.swept = undefined;
    });
    await this.swept;
    const maxBytes = options.maxBytes ?? Infinity;
    const metadata: Metadata = { contentType: options.contentType ?? DEFAULT_CONTENT_TYPE, complete: false };
    const id = new ObjectId();
    const upload = this.bucket.openUploadStreamWithId(id, `${PARTIAL}${id.toHexString()}`, { metadata });
    // Failures reach us through the write callbacks below; without a listener an 'error' event would crash.
    upload.on('error', () => undefined);
    const hash = createHash('sha256');
    let size = 0;
    let sha256 = '';
    try {
      // Written one chunk at a time, not piped: when the source fails, no chunk insert is still in flight,
      // so deleting what was written below really deletes all of it.
      for await (const chunk of content as AsyncIterable<Uint8Array | string>) {
        const bytes = asBytes(chunk);
        size += bytes.length;
        // Leaving the loop destroys a stream source: an upload stops being read.
        if (size > maxBytes) throw new FileTooLargeError(maxBytes);
        hash.update(bytes);
        await write(upload, bytes);
      }
      upload.end();
      await finished(upload);
      sha256 = hash.digest('hex');
      await this.files.updateOne({ _id: id }, { $set: { filename: name, 'metadata.sha256': sha256, 'metadata.complete': true } });
    } catch (error) {
      upload.destroy();
      await this.remove(id);
      throw error;
    }
    await this.removeOlder(name);
    return { name, size, sha256, contentType: metadata.contentType, createdAt: upload.gridFSFile!.uploadDate.toISOString() };
  }

  async get(name: string): Promise<{ file: StoredFile; stream: NodeJS.ReadableStream } | null> {
    const doc = await this.newest(name);
    return doc ? { file: toStoredFile(doc), stream: this.bucket.openDownloadStream(doc._id) } : null;
  }

  async stat(name: string): Promise<StoredFile | null> {
    const doc = await this.newest(name);
    return doc ? toStoredFile(doc) : null;
  }

  async delete(name: string): Promise<boolean> {
    checkFileName(name);
    const docs = await this.files.find(complete({ filename: name }), { projection: { _id: 1 } }).toArray();
    for (const doc of docs) await this.remove(doc._id);
    return docs.length > 0;
  }

  async list(prefix: string): Promise<StoredFile[]> {
    const docs = await this.files
      .find(complete({ filename: { $regex: `^${escapeRegex(prefix)}` } }))
      .sort({ filename: 1, uploadDate: -1, _id: -1 })
      .toArray();
    // Between a replacing put's rename and its removal of the older file both exist: show the newest.
    return docs.filter((doc, i) => i === 0 || docs[i - 1].filename !== doc.filename).map(toStoredFile);
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async newest(name: string): Promise<FileDoc | null> {
    checkFileName(name);
    return this.files.findOne(complete({ filename: name }), { sort: { uploadDate: -1, _id: -1 } });
  }

  /** Keeps the newest file of a name: two puts racing both keep the same one. */
  private async removeOlder(name: string): Promise<void> {
    const docs = await this.files.find(complete({ filename: name }), { projection: { _id: 1 }, sort: { uploadDate: -1, _id: -1 } }).toArray();
    for (const doc of docs.slice(1)) await this.remove(doc._id);
  }

  /** The files document first, so the file is gone for readers before its chunks are. */
  private async remove(id: ObjectId): Promise<void> {
    await this.files.deleteOne({ _id: id });
    await this.chunks.deleteMany({ files_id: id });
  }

  /** Removes what uploads interrupted by a crash left: chunks without a files document, and unfinished files documents. */
  private async sweep(): Promise<void> {
    const cutoff = new Date(Date.now() - STALE_MS);
    const unfinished = await this.files.find({ 'metadata.complete': false, uploadDate: { $lt: cutoff } }, { projection: { _id: 1 } }).toArray();
    for (const doc of unfinished) await this.remove(doc._id);
    // An upload's id is made when it starts, so an id older than the cutoff belongs to no upload in progress.
    const old = await this.chunks.distinct('files_id', { files_id: { $lt: ObjectId.createFromTime(Math.floor(cutoff.getTime() / 1000)) } });
    const known = await this.files.find({ _id: { $in: old } }, { projection: { _id: 1 } }).toArray();
    const kept = new Set(known.map((doc) => doc._id.toHexString()));
    const orphans = old.filter((id) => !kept.has(id.toHexString()));
    if (orphans.length > 0) await this.chunks.deleteMany({ files_id: { $in: orphans } });
  }
}

function complete(filter: Filter<FileDoc>): Filter<FileDoc> {
  return { ...filter, 'metadata.complete': true };
}

function toStoredFile(doc: FileDoc): StoredFile {
  return {
    name: doc.filename,
    size: doc.length,
    sha256: doc.metadata.sha256 ?? '',
    contentType: doc.metadata.contentType,
    createdAt: doc.uploadDate.toISOString(),
  };
}

function write(upload: GridFSBucketWriteStream, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => upload.write(bytes, (error) => (error ? reject(error) : resolve())));
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
