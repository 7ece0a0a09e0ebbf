import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { csvChunks, csvRecords } from './csv-reader.js';

describe('CSV reader', () => {
  it('stops reading its input while the chunks it parsed wait, so memory holds a few chunks, not the file', async () => {
    let produced = 0;
    const input = Readable.from(
      (function* () {
        for (; produced < 10_000; produced++) yield `${produced},${'x'.repeat(1000)}\n`;
      })(),
    );
    const chunks = csvRecords(input, { what: 'test', delimiter: ',' });
    await chunks.next();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(produced).toBeLessThan(100);
    let rows = 1;
    for await (const chunk of chunks) rows += chunk.rows.length;
    expect(rows).toBeGreaterThan(9_000);
  });

  it('names the line of a syntax error in a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-csv-reader-'));
    try {
      const file = join(dir, 't.csv');
      writeFileSync(file, 'a,b\n1,2\n\n3,"x\n');
      const read = async () => {
        for await (const _chunk of csvChunks(file));
      };
      await expect(read()).rejects.toThrow(`Line 3 of ${file}: Quoted field unterminated`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops at a row that runs on past 16 MB (a quote left open in a large file), naming the line it began on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-csv-reader-'));
    try {
      const file = join(dir, 't.csv');
      // Every line after the open quote is read as part of its field: 24 MB of them.
      writeFileSync(file, `a,b\n1,2\n3,"x\n${'4,five\n'.repeat((24 * 2 ** 20) / 7)}`);
      let rows = 0;
      const read = async () => {
        for await (const chunk of csvChunks(file)) rows += chunk.length;
      };
      await expect(read()).rejects.toThrow(`Line 3 of ${file}: a row runs on past 16 MB, the most Sluice reads; is a quote left open?`);
      expect(rows).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['short rows', '4,five\n'],
    ['blank lines', '\n'],
  ])('reads a chunk of more than 16 MB of %s', async (_what, line) => {
    const text = `a,b\n${line.repeat((17 * 2 ** 20) / line.length)}9,nine\n`;
    let last: string[] | undefined;
    for await (const { rows, error } of csvRecords(Readable.from([text]), { what: 'test', delimiter: ',' })) {
      expect(error).toBeUndefined();
      last = rows.at(-1) ?? last;
    }
    expect(last).toEqual(['9', 'nine']);
  });
});
