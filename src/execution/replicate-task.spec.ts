import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DEFAULT_SETTINGS } from '../jobs/job.model.js';
import { parseTaskQuery } from '../jobs/task-query.js';
import type { Connector } from './connectors/connector.js';
import { CsvConnector } from './connectors/csv.connector.js';
import { SqliteConnector } from './connectors/sqlite.connector.js';
import { replicateTask } from './replicate-task.js';

describe('replicateTask: a CSV file into SQLite, batch by batch', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-replicate-'));
    mkdirSync(join(dir, 'in'));
    writeFileSync(join(dir, 'in', 'people.csv'), 'id,name\n' + Array.from({ length: 50 }, (_, i) => `${i + 1},person ${i + 1}\n`).join(''));
    file = join(dir, 'out.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const stored = () => {
    const db = new Database(file, { readonly: true });
    try {
      return (db.prepare('SELECT id FROM people ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id);
    } finally {
      db.close();
    }
  };

  /** The real SQLite destination, with each write's start and end in `trace`. */
  const traced = (trace: string[]): Connector => {
    const sqlite = SqliteConnector.open(file, false);
    let n = 0;
    return Object.assign(Object.create(sqlite) as Connector, {
      async write(...args: Parameters<Connector['write']>) {
        const k = ++n;
        trace.push(`write ${k}`);
        await sqlite.write(...args);
        trace.push(`landed ${k}`);
      },
    });
  };

  const replicate = (destination: Connector, shouldStop = () => false) => {
    const tally = { rowsRead: 0, rowsWritten: 0, watermark: null as unknown };
    const outcome = replicateTask({
      source: CsvConnector.open(join(dir, 'in'), true),
      destination,
      query: parseTaskQuery('REPLICATE [people]'),
      settings: { ...DEFAULT_SETTINGS, batch_size: 10 },
      incrementalColumn: null,
      watermark: null,
      shouldStop,
      signal: new AbortController().signal,
      onProgress: async () => undefined,
      tally,
    });
    return { outcome, tally };
  };

  it('writes nothing after a batch the destination refuses, and counts only what landed', async () => {
    const db = new Database(file);
    db.exec('CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT CHECK (id <> 15))');
    db.close();
    const trace: string[] = [];
    const destination = traced(trace);
    const { outcome, tally } = replicate(destination);
    await expect(outcome).rejects.toThrow(/CHECK constraint failed/);
    await destination.close();
    expect(stored()).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(tally.rowsWritten).toBe(10);
    expect(trace.filter((t) => t.startsWith('write'))).toEqual(['write 1', 'write 2']);
  });

  it('counts the batch being written when the read of the next one fails', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => (i === 24 ? `${i + 1},person,extra\n` : `${i + 1},person ${i + 1}\n`));
    writeFileSync(join(dir, 'in', 'people.csv'), 'id,name\n' + lines.join(''));
    const destination = traced([]);
    const { outcome, tally } = replicate(destination);
    await expect(outcome).rejects.toThrow(/Line 26 of people.csv has 3 fields/);
    await destination.close();
    expect(stored()).toHaveLength(20);
    expect(tally.rowsWritten).toBe(20);
  });

  it('stops at a batch boundary once asked, with every row it reports written in the table', async () => {
    const trace: string[] = [];
    const destination = traced(trace);
    const { outcome, tally } = replicate(destination, () => trace.includes('landed 2'));
    const result = await outcome;
    await destination.close();
    expect(result.cancelled).toBe(true);
    expect(result.rowsWritten).toBeLessThan(50);
    expect(result.rowsWritten).toBeGreaterThanOrEqual(20);
    expect(stored()).toHaveLength(result.rowsWritten);
    expect(tally.rowsWritten).toBe(result.rowsWritten);
  });
});
