import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { importCsv, type ImportOptions } from '../csv-import.js';
import type { UploadContent } from '../csv-upload.js';
import { SqliteConnector } from './sqlite.connector.js';

describe('SQLite: applying an upload', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-sqlite-apply-'));
    file = join(dir, 'db.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, score REAL, age INTEGER CHECK (age >= 0), name TEXT)');
    db.exec(`CREATE TABLE other (x INTEGER)`);
    db.exec(`INSERT INTO t VALUES (1, 1, 1.5, 30, 'Ada')`);
    db.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const snapshot = (table: string) => {
    const db = new Database(file, { readonly: true });
    try {
      return `${createHash('sha256').update(readFileSync(file)).digest('hex')} ${JSON.stringify(db.prepare(`SELECT rowid, * FROM ${table}`).all())}`;
    } finally {
      db.close();
    }
  };
  const run = async (table: string, content: UploadContent, more: Partial<ImportOptions> = {}, connector = SqliteConnector.open(file, true)) => {
    try {
      return await importCsv({ connector, table, content, kind: 'Import', keyColumns: null, batchSize: 2, checkTypes: true, ...more });
    } finally {
      await connector.close();
    }
  };

  it.each([
    // SQLite would keep an inexact REAL.
    ['an integer past 64 bits', 't', 'id,n\n2,5\n3,99999999999999999999\n', /^Line 3, column n: "99999999999999999999" is out of range for a 64-bit INTEGER$/],
    ['a CHECK constraint, past a multi-line value', 't', 'id,name,age\n2,"a\nb",1\n3,c,2\n4,d,-1\n', /^Line 5, column age: CHECK constraint failed: age >= 0$/],
    ['a CHECK constraint on an update by another key', 't', 'name,age\nAda,-1\n', /^Line 2, column age: CHECK constraint failed: age >= 0$/],
  ])('names the line and column of %s, and leaves the table as it was', async (_what, table, csv, message) => {
    const before = snapshot(table);
    await expect(run(table, [Buffer.from(csv)], { keyColumns: _what.includes('another key') ? ['name'] : null })).rejects.toThrow(message);
    expect(snapshot(table)).toBe(before);
  });

  it('does not hold the write lock while the upload is read: other writers go on', async () => {
    const other = new Database(file, { timeout: 0 });
    const writes: string[] = [];
    const content = (async function* () {
      yield Buffer.from('id,name\n2,b\n3,c\n4,d\n');
      // The rows so far are staged; another connection writes now, with no busy wait.
      await new Promise((resolve) => setTimeout(resolve, 10));
      try {
        other.exec('INSERT INTO other VALUES (1)');
        writes.push('written');
      } catch (error) {
        writes.push((error as Error).message);
      }
      yield Buffer.from('5,e\n6,\n7,"x""\n');
    })();
    try {
      await expect(run('t', content)).rejects.toThrow(/^Line 7: invalid CSV/);
    } finally {
      other.close();
    }
    expect(writes).toEqual(['written']);
    const check = new Database(file, { readonly: true });
    expect(check.prepare('SELECT * FROM t').all()).toEqual([{ id: 1, n: 1, score: 1.5, age: 30, name: 'Ada' }]);
    check.close();
  });

  describe('its stage', () => {
    let scratch: string;
    beforeEach(() => {
      scratch = join(dir, 'tmp');
      mkdirSync(scratch);
    });
    const staging = () => new SqliteConnector(file, scratch);

    /** The upload a line at a time, noting what the temp directory holds before each; `last` comes after a pause. */
    const upload = (lines: string[], last: string, seen: string[][], before?: () => void) =>
      (async function* () {
        for (const line of lines) {
          seen.push(readdirSync(scratch).flatMap((d) => readdirSync(join(scratch, d))));
          yield Buffer.from(`${line}\n`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
        seen.push(readdirSync(scratch).flatMap((d) => readdirSync(join(scratch, d))));
        before?.();
        yield Buffer.from(last);
      })();

    it('is a scratch file in the temp directory, removed once the rows are applied', async () => {
      const seen: string[][] = [];
      await expect(run('t', upload(['id,name', '2,b', '3,c', '4,d'], '5,e\n', seen), {}, staging())).resolves.toMatchObject({ rowsWritten: 4 });
      expect(seen.at(-1)).toEqual(['stage.db']);
      expect(readdirSync(scratch)).toEqual([]);
    });

    it.each([
      ['a bad line', undefined, /^Line 5: invalid CSV/],
      ['an interrupt', (halt: AbortController) => halt.abort('cancelled'), /cancelled/],
    ])('is removed after %s, with nothing applied', async (_what, interrupt, message) => {
      const before = snapshot('t');
      const halt = new AbortController();
      const seen: string[][] = [];
      const content = upload(['id,name', '2,b', '3,c', '4,d'], '5,"x""\n', seen, () => interrupt?.(halt));
      await expect(run('t', content, { signal: halt.signal }, staging())).rejects.toThrow(message);
      expect(seen.at(-1)).toEqual(['stage.db']);
      expect(readdirSync(scratch)).toEqual([]);
      expect(snapshot('t')).toBe(before);
    });

    it('removes the stages of processes that are gone, and keeps those of a process still running', async () => {
      const { pid: gone } = spawnSync(process.execPath, ['-e', '0']);
      mkdirSync(join(scratch, `sluice-stage-${gone}-a1b2c3`));
      writeFileSync(join(scratch, `sluice-stage-${gone}-a1b2c3`, 'stage.db'), 'rows of an import killed mid-way');
      // A container restarted after a crash runs as the same pid: a stage of its pid that it did not make is stale.
      mkdirSync(join(scratch, `sluice-stage-${process.pid}-b2c3d4`));
      mkdirSync(join(scratch, `sluice-stage-${process.ppid}-d4e5f6`));
      await expect(run('t', [Buffer.from('id,name\n2,b\n')], {}, staging())).resolves.toMatchObject({ rowsWritten: 1 });
      expect(readdirSync(scratch)).toEqual([`sluice-stage-${process.ppid}-d4e5f6`]);
    });

    it('names the temp directory when the stage cannot be written there', async () => {
      const before = snapshot('t');
      const missing = join(dir, 'missing');
      await expect(run('t', [Buffer.from('id,name\n2,b\n')], {}, new SqliteConnector(file, missing))).rejects.toThrow(
        `Could not stage the rows in the temp directory ${missing} (TMPDIR): ENOENT`,
      );
      expect(snapshot('t')).toBe(before);
    });
  });

  it('waits for another connection\'s write lock without holding up the event loop', async () => {
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    let settled = false;
    const importing = run('t', [Buffer.from('id,name\n2,b\n')]).finally(() => (settled = true));
    let ticks = 0;
    const ticking = setInterval(() => ticks++, 10);
    // SQLite's own busy wait would sleep this thread for the whole 5 s: no tick, and no lock released.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    clearInterval(ticking);
    expect(settled).toBe(false);
    expect(ticks).toBeGreaterThan(20);
    other.exec('COMMIT');
    other.close();
    await expect(importing).resolves.toMatchObject({ rowsWritten: 1 });
  });
});
