import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { confinePath, tableFile } from './connection-paths.js';

describe('connection paths', () => {
  let root: string;
  let dataDir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sluice-paths-'));
    dataDir = join(root, 'data');
    mkdirSync(dataDir);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('follows links, dangling ones included, before deciding where a path leads', () => {
    const access = { dataDir, connectionRoots: [] };
    expect(confinePath(join(root, 'files', 'a.db'), access)).toBe(join(root, 'files', 'a.db'));
    symlinkSync(join(dataDir, 'not-yet.db'), join(root, 'dangling.db'));
    expect(() => confinePath(join(root, 'dangling.db'), access)).toThrow(/data directory/);
    symlinkSync('data', join(root, 'relative'));
    expect(() => confinePath(join(root, 'relative', 'x', 'y.db'), access)).toThrow(/data directory/);
    symlinkSync(join(root, 'loop-b'), join(root, 'loop-a'));
    symlinkSync(join(root, 'loop-a'), join(root, 'loop-b'));
    expect(() => confinePath(join(root, 'loop-a'), access)).toThrow(/too many symbolic links/);
  });

  it('keeps a CSV table file inside its directory', () => {
    expect(tableFile('/in', 'people', '.csv')).toBe('/in/people.csv');
    expect(tableFile('/in', '..', '.csv')).toBe('/in/...csv');
    for (const table of ['../x', 'a/b', 'a\\b', '/etc/passwd']) expect(() => tableFile('/in', table, '.csv')).toThrow(/would leave/);
  });
});
