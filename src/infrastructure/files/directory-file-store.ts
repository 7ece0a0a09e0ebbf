import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, createReadStream, mkdirSync, rmSync } from 'node:fs';
import { access, constants, type FileHandle, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { storeFault } from '../../core/store-fault.js';
import {
  asBytes,
  checkFileName,
  DEFAULT_CONTENT_TYPE,
  type FileStore,
  FileTooLargeError,
  type PutOptions,
  type StoredFile,
} from '../../core/file-store.js';

const MARK = 'SLF1';
const FOOTER_BYTES = 8;
const STORED = /^[0-9a-f]{64}$/;

/**
 * Files in a directory. Each file is stored flat under the SHA-256 of its name (so "a" and "a/b" can both
 * exist, a 500-character name fits, and no name reaches `.partial/`), as its content followed by its
 * metadata: JSON, its length (4 bytes, big-endian) and a mark. Content and metadata in one file make the
 * rename that publishes a put atomic, and let stat answer after a restart.
 */
export class DirectoryFileStore implements FileStore {
  private readonly partial: string;

  constructor(readonly root: string) {
    this.partial = join(root, '.partial');
    // Only puts in flight write here, so whatever is left was interrupted by a crash.
    rmSync(this.partial, { recursive: true, force: true });
    mkdirSync(this.partial, { recursive: true });
  }

  async put(name: string, content: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, options: PutOptions = {}): Promise<StoredFile> {
    checkFileName(name);
    const maxBytes = options.maxBytes ?? Infinity;
    const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
    const temp = join(this.partial, randomUUID());
    let stored: StoredFile | undefined;
    const withMetadata = async function* (source: AsyncIterable<Uint8Array | string>) {
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of source) {
        const bytes = asBytes(chunk);
        size += bytes.length;
        // Thrown inside the pipeline, it also destroys `content`: an upload stops being read.
        if (size > maxBytes) throw new FileTooLargeError(maxBytes);
        hash.update(bytes);
        yield bytes;
      }
      stored = { name, size, sha256: hash.digest('hex'), contentType, createdAt: new Date().toISOString() };
      yield footer(stored);
    };
    const out = createWriteStream(temp, { flags: 'wx', flush: true });
    try {
      await pipeline(content as AsyncIterable<Uint8Array>, withMetadata, out);
      await rename(temp, this.pathOf(name));
      await syncDirectory(this.root);
      return stored!;
    } catch (error) {
      // A source that fails at once can beat the file's own opening: wait for it to close, or it appears after the rm.
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      // A partial file that cannot be removed now is swept at the next start.
      await rm(temp, { force: true }).catch(() => undefined);
      // The disk's own faults (full, read-only, a path that is no directory) are the store's, said as such: 503/507.
      throw storeFault(error, 'file store', this.root) ?? error;
    }
  }

  async get(name: string): Promise<{ file: StoredFile; stream: NodeJS.ReadableStream } | null> {
    const handle = await this.open(name);
    if (!handle) return null;
    try {
      const file = await readMetadata(handle);
      if (file.size === 0) {
        await handle.close();
        return { file, stream: Readable.from([]) };
      }
      // The open handle keeps reading this version even if a put replaces or a delete removes the name meanwhile.
      return { file, stream: createReadStream(this.pathOf(name), { fd: handle, start: 0, end: file.size - 1 }) };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async stat(name: string): Promise<StoredFile | null> {
    const handle = await this.open(name);
    if (!handle) return null;
    try {
      return await readMetadata(handle);
    } finally {
      await handle.close();
    }
  }

  async delete(name: string): Promise<boolean> {
    checkFileName(name);
    try {
      await rm(this.pathOf(name));
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
    await syncDirectory(this.root);
    return true;
  }

  async list(prefix: string): Promise<StoredFile[]> {
    const files: StoredFile[] = [];
    for (const entry of await readdir(this.root)) {
      if (!STORED.test(entry)) continue;
      const handle = await open(join(this.root, entry), 'r').catch((error) => {
        if (isMissing(error)) return null;
        throw error;
      });
      if (!handle) continue;
      try {
        const file = await readMetadata(handle);
        if (file.name.startsWith(prefix)) files.push(file);
      } finally {
        await handle.close();
      }
    }
    return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async ping(): Promise<void> {
    await access(this.partial, constants.R_OK | constants.W_OK);
  }

  async close(): Promise<void> {}

  private pathOf(name: string): string {
    return join(this.root, createHash('sha256').update(name).digest('hex'));
  }

  private async open(name: string): Promise<FileHandle | null> {
    checkFileName(name);
    try {
      return await open(this.pathOf(name), 'r');
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }
}

function footer(file: StoredFile): Buffer {
  const json = Buffer.from(JSON.stringify(file));
  const tail = Buffer.alloc(FOOTER_BYTES);
  tail.writeUInt32BE(json.length, 0);
  tail.write(MARK, 4, 'latin1');
  return Buffer.concat([json, tail]);
}

async function readMetadata(handle: FileHandle): Promise<StoredFile> {
  const { size: total } = await handle.stat();
  const tail = Buffer.alloc(FOOTER_BYTES);
  if (total >= FOOTER_BYTES) await handle.read(tail, 0, FOOTER_BYTES, total - FOOTER_BYTES);
  const length = tail.readUInt32BE(0);
  if (tail.toString('latin1', 4) !== MARK || length > total - FOOTER_BYTES) {
    throw new Error('Not a file written by the file store: its metadata is missing');
  }
  const json = Buffer.alloc(length);
  await handle.read(json, 0, length, total - FOOTER_BYTES - length);
  const file = JSON.parse(json.toString('utf8')) as StoredFile;
  if (file.size !== total - FOOTER_BYTES - length) throw new Error(`The stored file ${file.name} is damaged: its size does not match its metadata`);
  return file;
}

/** Makes the renames and removals in a directory durable, not only the files' content. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}
