import { randomUUID } from 'node:crypto';
import { appendFileSync, closeSync, copyFileSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { type ApplyCounts, type ApplyOptions, type Column, ConnectorError, type Row } from './connector.js';
import { Interrupted } from './limits.js';

/**
 * A value as a CSV file's cell, the same text whichever way it is written (csv-stringify would make a false an
 * empty cell, that is NULL, and bytes JSON): NULL is an empty cell, booleans true and false, bytes base64 (as
 * exports have them), dates ISO 8601, objects JSON. A CSV table is data, not an export: no formula escaping.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * Applies rows to a CSV file: the new file is written beside it and renamed over it, so readers see the old
 * file or the new one, never half of it, and a failure leaves the old one. An append streams; an upsert or a
 * delete holds the file's rows in memory (CSV tables are small). CSV has no NULL: an empty key matches nothing.
 */
export async function applyToCsvFile(
  file: string,
  columns: Column[],
  batches: AsyncIterable<Row[]>,
  options: ApplyOptions,
  read: (preview?: number) => AsyncIterable<string[][]>,
): Promise<ApplyCounts> {
  const counts: ApplyCounts = { updated: 0, inserted: 0, deleted: 0 };
  const temp = `${file}.${randomUUID()}.partial`;
  let rows: string[][] = [];
  try {
    // An append needs only the header.
    for await (const chunk of read(options.keys?.length ? undefined : 1)) for (const row of chunk) rows.push(row);
    const header = rows.shift() ?? [];
    const at = (name: string) => {
      const i = header.findIndex((h, j) => (j === 0 ? h.replace(/^\uFEFF/, '') : h).toLowerCase() === name.toLowerCase());
      if (i < 0) throw new ConnectorError(`${file} has no column ${name}`);
      return i;
    };
    const positions = columns.map((c) => at(c.name));
    const fields = (row: Row) => {
      const out: string[] = Array(header.length).fill('');
      columns.forEach((c, j) => (out[positions[j]] = csvCell(row[c.name])));
      return out;
    };
    const batchesOf = async function* () {
      for await (const batch of batches) {
        if (options.signal?.aborted) throw new Interrupted(options.signal.reason);
        yield batch;
      }
    };
    if (!options.keys?.length) {
      if (options.mode === 'delete') throw new ConnectorError('A delete needs key columns');
      copyFileSync(file, temp);
      if (!endsWithNewline(file)) appendFileSync(temp, '\n');
      for await (const batch of batchesOf()) {
        appendFileSync(temp, stringify(batch.map(fields)));
        counts.inserted += batch.length;
      }
    } else {
      const keyAt = options.keys.map(at);
      const keyOf = (row: string[]) => (keyAt.some((i) => !row[i]) ? null : JSON.stringify(keyAt.map((i) => row[i])));
      if (options.mode === 'delete') {
        const doomed = new Set<string | null>();
        for await (const batch of batchesOf()) for (const row of batch) doomed.add(keyOf(fields(row)));
        doomed.delete(null);
        const kept = rows.filter((row) => !doomed.has(keyOf(row)));
        counts.deleted = rows.length - kept.length;
        rows = kept;
      } else {
        const byKey = new Map<string, string[][]>();
        const remember = (row: string[]) => {
          const key = keyOf(row);
          if (key !== null) byKey.set(key, [...(byKey.get(key) ?? []), row]);
        };
        rows.forEach(remember);
        for await (const batch of batchesOf()) {
          for (const row of batch) {
            const incoming = fields(row);
            const key = keyOf(incoming);
            const matches = (key !== null && byKey.get(key)) || [];
            for (const match of matches) for (const i of positions) match[i] = incoming[i];
            counts.updated += matches.length;
            if (matches.length) continue;
            rows.push(incoming);
            remember(incoming);
            counts.inserted++;
          }
        }
      }
      writeFileSync(temp, stringify([header, ...rows]));
    }
    renameSync(temp, file);
    return counts;
  } finally {
    rmSync(temp, { force: true });
  }
}

function endsWithNewline(file: string): boolean {
  const size = statSync(file).size;
  if (size === 0) return true;
  const fd = openSync(file, 'r');
  try {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a || last[0] === 0x0d;
  } finally {
    closeSync(fd);
  }
}
