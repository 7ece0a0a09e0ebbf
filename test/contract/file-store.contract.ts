import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { checkFileName, type FileStore, FileTooLargeError } from '../../src/core/file-store.js';

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Bytes that differ from one position to the next, so a reordered or dropped chunk changes the hash. */
export function bytes(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function* iterate(parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts;
}

/** Sends `head`, then fails: a client that disconnects half-way through an upload. */
export function failingHalfWay(head: Buffer, message = 'source broke'): Readable {
  return Readable.from(
    (async function* () {
      yield head;
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new Error(message);
    })(),
  );
}

/** Every FileStore adapter must pass this suite. */
export function fileStoreContract(name: string, open: () => Promise<FileStore>): void {
  describe(`FileStore contract: ${name}`, () => {
    let store: FileStore;
    let base: string;

    beforeEach(async () => {
      store = await open();
      base = `t-${randomUUID()}/`;
    });

    afterEach(async () => {
      for (const file of await store.list(base)) await store.delete(file.name);
      await store.close();
    });

    it('stores a stream and gives back the same bytes, size and sha256', async () => {
      const content = bytes(700_000);
      const source = Readable.from([content.subarray(0, 100_000), content.subarray(100_000)]);
      const put = await store.put(`${base}a.csv`, source, { contentType: 'text/csv' });
      const expected = { name: `${base}a.csv`, size: content.length, sha256: sha256(content), contentType: 'text/csv' };
      expect(put).toEqual({ ...expected, createdAt: expect.any(String) });
      expect(new Date(put.createdAt).toISOString()).toBe(put.createdAt);
      const got = await store.get(`${base}a.csv`);
      expect(got?.file).toEqual(put);
      expect((await readAll(got!.stream)).equals(content)).toBe(true);
    });

    it('stores an async iterable, an empty one too, with the default content type', async () => {
      const parts = [bytes(10, 1), bytes(300_000, 2), bytes(5, 3)];
      const whole = Buffer.concat(parts);
      const put = await store.put(`${base}b`, iterate(parts));
      expect(put).toMatchObject({ size: whole.length, sha256: sha256(whole), contentType: 'application/octet-stream' });
      expect((await readAll((await store.get(`${base}b`))!.stream)).equals(whole)).toBe(true);

      const empty = await store.put(`${base}empty`, iterate([]));
      expect(empty).toMatchObject({ size: 0, sha256: sha256(Buffer.alloc(0)) });
      expect((await readAll((await store.get(`${base}empty`))!.stream)).length).toBe(0);
    });

    it('replaces a file of the same name', async () => {
      await store.put(`${base}r`, Readable.from([bytes(1000, 1)]), { contentType: 'text/plain' });
      const second = bytes(2000, 2);
      const put = await store.put(`${base}r`, Readable.from([second]), { contentType: 'text/csv' });
      expect(await store.stat(`${base}r`)).toEqual(put);
      expect(put).toMatchObject({ size: 2000, sha256: sha256(second), contentType: 'text/csv' });
      expect((await readAll((await store.get(`${base}r`))!.stream)).equals(second)).toBe(true);
      expect((await store.list(base)).map((f) => f.name)).toEqual([`${base}r`]);
    });

    it('stats a file and lists by prefix, sorted by name, nothing of other prefixes', async () => {
      const names = ['p/b', 'p/a', 'p/c/d', 'p/B', 'pp/x', 'q/a', 'p'];
      const put = new Map<string, unknown>();
      for (const [i, n] of names.entries()) put.set(n, await store.put(`${base}${n}`, Readable.from([bytes(10 + i, i)])));
      expect(await store.stat(`${base}p/c/d`)).toEqual(put.get('p/c/d'));
      expect(await store.stat(`${base}p/c`)).toBeNull();
      const listed = await store.list(`${base}p/`);
      expect(listed.map((f) => f.name)).toEqual(['p/B', 'p/a', 'p/b', 'p/c/d'].map((n) => `${base}${n}`));
      expect(listed[1]).toEqual(put.get('p/a'));
      expect((await store.list(`${base}p`)).map((f) => f.name.slice(base.length))).toEqual(['p', 'p/B', 'p/a', 'p/b', 'p/c/d', 'pp/x']);
      expect(await store.list(`${base}z`)).toEqual([]);
    });

    it('deletes a file, and says whether there was one', async () => {
      await store.put(`${base}d`, Readable.from([bytes(100)]));
      await store.put(`${base}keep`, Readable.from([bytes(100)]));
      expect(await store.delete(`${base}d`)).toBe(true);
      expect(await store.delete(`${base}d`)).toBe(false);
      expect(await store.get(`${base}d`)).toBeNull();
      expect(await store.stat(`${base}d`)).toBeNull();
      expect((await store.list(base)).map((f) => f.name)).toEqual([`${base}keep`]);
    });

    it('refuses a file over maxBytes, stores nothing and stops reading the source', async () => {
      await expect(store.put(`${base}exact`, Readable.from([bytes(50)]), { maxBytes: 50 })).resolves.toMatchObject({ size: 50 });
      const over = store.put(`${base}big`, Readable.from([bytes(30), bytes(30)]), { maxBytes: 50 });
      await expect(over).rejects.toBeInstanceOf(FileTooLargeError);
      await expect(over).rejects.toMatchObject({ maxBytes: 50 });
      expect(await store.stat(`${base}big`)).toBeNull();
      expect(await store.get(`${base}big`)).toBeNull();
      // An endless upload: the put returns only if the store stops reading it.
      const endless = new Readable({
        read() {
          this.push(bytes(64 * 1024));
        },
      });
      await expect(store.put(`${base}endless`, endless, { maxBytes: 1_000_000 })).rejects.toBeInstanceOf(FileTooLargeError);
      expect(endless.destroyed).toBe(true);
      expect(await store.stat(`${base}endless`)).toBeNull();
      expect((await store.list(base)).map((f) => f.name)).toEqual([`${base}exact`]);
    });

    it('leaves an older file of the same name intact when a put fails, too large or half-way', async () => {
      const old = bytes(1000, 7);
      const first = await store.put(`${base}x`, Readable.from([old]));
      await expect(store.put(`${base}x`, failingHalfWay(bytes(600_000)))).rejects.toThrow('source broke');
      await expect(store.put(`${base}x`, Readable.from([bytes(2000)]), { maxBytes: 1500 })).rejects.toBeInstanceOf(FileTooLargeError);
      await expect(store.put(`${base}new`, failingHalfWay(bytes(600_000)))).rejects.toThrow('source broke');
      expect(await store.stat(`${base}x`)).toEqual(first);
      expect((await readAll((await store.get(`${base}x`))!.stream)).equals(old)).toBe(true);
      expect(await store.stat(`${base}new`)).toBeNull();
      expect(await store.list(base)).toEqual([first]);
    });

    it('refuses names that could escape the store, in every operation', async () => {
      const bad = ['', '..', 'a/../b', '../a', 'a/..', '.', 'a/./b', 'a//b', '/a', 'a/', 'a\0b', 'a\\b', 'a b', 'é', 'x'.repeat(501)];
      for (const name of bad) {
        expect(() => checkFileName(name)).toThrow(/Invalid file name/);
        await expect(store.put(name, Readable.from([bytes(1)]))).rejects.toThrow(/Invalid file name/);
        await expect(store.get(name)).rejects.toThrow(/Invalid file name/);
        await expect(store.stat(name)).rejects.toThrow(/Invalid file name/);
        await expect(store.delete(name)).rejects.toThrow(/Invalid file name/);
      }
      for (const name of ['a', 'a/b.c-d_e', '.hidden/..x', 'x'.repeat(500)]) expect(() => checkFileName(name)).not.toThrow();
      const long = `${base}${'y'.repeat(500 - base.length)}`;
      await store.put(long, Readable.from([bytes(3)]));
      expect((await store.stat(long))?.size).toBe(3);
    });

    it('keeps a file and a folder of the same name apart', async () => {
      await store.put(`${base}f`, Readable.from([bytes(1, 1)]));
      await store.put(`${base}f/g`, Readable.from([bytes(2, 2)]));
      expect((await store.list(base)).map((f) => [f.name.slice(base.length), f.size])).toEqual([['f', 1], ['f/g', 2]]);
    });

    it('streams a 20 MB file in and out', async () => {
      const chunk = 256 * 1024;
      const count = 80;
      const hash = createHash('sha256');
      const source = async function* () {
        for (let i = 0; i < count; i++) {
          const part = bytes(chunk, i + 1);
          hash.update(part);
          yield part;
        }
      };
      const put = await store.put(`${base}big.csv`, source());
      const expected = hash.digest('hex');
      expect(put).toMatchObject({ size: chunk * count, sha256: expected });
      const got = await store.get(`${base}big.csv`);
      const back = createHash('sha256');
      let size = 0;
      for await (const part of got!.stream) {
        back.update(part as Uint8Array);
        size += (part as Uint8Array).length;
      }
      expect({ size, sha256: back.digest('hex') }).toEqual({ size: chunk * count, sha256: expected });
    });

    it('answers a ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
