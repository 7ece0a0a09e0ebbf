import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MongoClient, ObjectId } from 'mongodb';
import { FileTooLargeError } from '../../src/core/file-store.js';
import { DirectoryFileStore } from '../../src/infrastructure/files/directory-file-store.js';
import { GridFsFileStore } from '../../src/infrastructure/mongodb/gridfs-file-store.js';
import { bytes, failingHalfWay, fileStoreContract, readAll } from './file-store.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

fileStoreContract('directory', async () => new DirectoryFileStore(mkdtempSync(join(dir, 'store-'))));

const { SLUICE_MONGODB_URL: mongo } = process.env;
if (mongo) fileStoreContract('MongoDB GridFS', async () => new GridFsFileStore(mongo));
else {
  describe('FileStore contract: MongoDB GridFS', () => it.skip('skipped: set SLUICE_MONGODB_URL to run it', () => {}));
  // Straight to stderr: Jest swallows console output of files whose tests are all skipped.
  process.stderr.write('FileStore contract suite skipped: MongoDB GridFS (SLUICE_MONGODB_URL unset)\n');
}

describe('Directory file store', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(dir, 'dir-'));
  });
  const partials = () => readdirSync(join(root, '.partial'));

  it('shows the files put before, with the same stat, when opened again', async () => {
    const content = bytes(5000);
    const first = new DirectoryFileStore(root);
    const put = await first.put('exports/run-1.csv', Readable.from([content]), { contentType: 'text/csv' });
    await first.close();
    const again = new DirectoryFileStore(root);
    expect(await again.stat('exports/run-1.csv')).toEqual(put);
    expect(await again.list('')).toEqual([put]);
    expect((await readAll((await again.get('exports/run-1.csv'))!.stream)).equals(content)).toBe(true);
  });

  it('never lists a partial file left by a crash, and removes it when opened again', async () => {
    const store = new DirectoryFileStore(root);
    const put = await store.put('a', Readable.from([bytes(100)]));
    // A crash just before the rename: a complete file, metadata and all, still in .partial/.
    const [stored] = readdirSync(root).filter((f) => !f.startsWith('.'));
    copyFileSync(join(root, stored), join(root, '.partial', 'crashed-1'));
    writeFileSync(join(root, '.partial', 'crashed-2'), bytes(10));
    expect(await store.list('')).toEqual([put]);
    new DirectoryFileStore(root);
    expect(partials()).toEqual([]);
    expect(existsSync(join(root, stored))).toBe(true);
  });

  it('leaves no partial file behind after a put that failed', async () => {
    const store = new DirectoryFileStore(root);
    await expect(store.put('a', failingHalfWay(bytes(200_000)))).rejects.toThrow('source broke');
    await expect(store.put('a', Readable.from([bytes(2000)]), { maxBytes: 1000 })).rejects.toBeInstanceOf(FileTooLargeError);
    expect(partials()).toEqual([]);
    expect(readdirSync(root)).toEqual(['.partial']);
  });

  it('keeps streaming the version it opened when the name is replaced or deleted meanwhile', async () => {
    const store = new DirectoryFileStore(root);
    const old = bytes(300_000, 1);
    await store.put('a', Readable.from([old]));
    const got = await store.get('a');
    await store.put('a', Readable.from([bytes(10, 2)]));
    await store.delete('a');
    expect((await readAll(got!.stream)).equals(old)).toBe(true);
  });
});

describe('MongoDB GridFS file store', () => {
  it('refuses a URL without a database name instead of writing into "test"', () => {
    expect(() => new GridFsFileStore('mongodb://localhost:27017')).toThrow(/must name a database/);
    expect(() => new GridFsFileStore('mongodb://a:27017,b:27017/?replicaSet=rs')).toThrow(/must name a database/);
  });

  (mongo ? it : it.skip)('never serves what a crash in the middle of a put left, and sweeps it once it is a day old', async () => {
    const store = new GridFsFileStore(mongo!);
    const client = new MongoClient(mongo!);
    const name = `gridfs-crash-${Date.now()}`;
    const db = client.db();
    const dayAgo = Math.floor(Date.now() / 1000) - 25 * 60 * 60;
    // A crash between chunks (chunks, no files document) and one before the rename (a files document still
    // under its partial name, incomplete), both from over a day ago, and one of each from just now.
    const [orphan, unfinished, recentOrphan] = [ObjectId.createFromTime(dayAgo), ObjectId.createFromTime(dayAgo), new ObjectId()];
    const chunk = (id: ObjectId) => ({ files_id: id, n: 0, data: Buffer.from('half a file') });
    try {
      await store.put(name, Readable.from([bytes(100)]));
      await db.collection('files.chunks').insertMany([chunk(orphan), chunk(unfinished), chunk(recentOrphan)]);
      await db.collection('files.files').insertOne({
        _id: unfinished,
        filename: `partial:${unfinished.toHexString()}`,
        length: 11,
        chunkSize: 261120,
        uploadDate: new Date(dayAgo * 1000),
        metadata: { contentType: 'text/csv', complete: false },
      });
      const reopened = new GridFsFileStore(mongo!);
      expect((await reopened.list('')).map((f) => f.name)).not.toContain(`partial:${unfinished.toHexString()}`);
      expect((await reopened.list(name)).map((f) => f.name)).toEqual([name]);
      await reopened.put(`${name}-after`, Readable.from([bytes(10)]));
      const left = await db.collection('files.chunks').distinct('files_id', { files_id: { $in: [orphan, unfinished, recentOrphan] } });
      expect(left.map(String)).toEqual([recentOrphan.toHexString()]);
      expect(await db.collection('files.files').countDocuments({ _id: unfinished })).toBe(0);
      await reopened.delete(`${name}-after`);
      await reopened.close();
    } finally {
      await db.collection('files.chunks').deleteMany({ files_id: recentOrphan });
      await store.delete(name);
      await store.close();
      await client.close();
    }
  });

  (mongo ? it : it.skip)('deletes the chunks of a put that failed, and the older file after a replace', async () => {
    const store = new GridFsFileStore(mongo!);
    const client = new MongoClient(mongo!);
    const name = `gridfs-${Date.now()}`;
    const chunks = () => client.db().collection('files.chunks').countDocuments();
    const files = () => client.db().collection('files.files').countDocuments();
    try {
      await store.put(name, Readable.from([bytes(1000)]));
      const before = { chunks: await chunks(), files: await files() };
      await expect(store.put(name, failingHalfWay(bytes(600_000)))).rejects.toThrow('source broke');
      await expect(store.put(name, Readable.from([bytes(300_000), bytes(300_000)]), { maxBytes: 400_000 })).rejects.toBeInstanceOf(FileTooLargeError);
      expect({ chunks: await chunks(), files: await files() }).toEqual(before);
      await store.put(name, Readable.from([bytes(1000, 2)]));
      expect({ chunks: await chunks(), files: await files() }).toEqual(before);
    } finally {
      await store.delete(name);
      await store.close();
      await client.close();
    }
  });
});
