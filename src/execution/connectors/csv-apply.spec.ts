import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importCsv, type ImportOptions } from '../csv-import.js';
import { CsvConnector } from './csv.connector.js';

describe('CSV connector: applying an upload', () => {
  let dir: string;
  const file = () => join(dir, 'people.csv');
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-csv-apply-'));
    writeFileSync(file(), '\uFEFFid,email,name\n1,ada@x,Ada\n2,linus@x,Linus');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (csv: string, more: Partial<ImportOptions> = {}) =>
    importCsv({ connector: CsvConnector.open(dir, true), table: 'people', content: [Buffer.from(csv)], kind: 'Import', keyColumns: null, batchSize: 2, checkTypes: false, ...more });

  it('appends rows, the columns the file leaves out empty, to a file that did not end its last line', async () => {
    expect(await run('name,id\nGrace,3\nAlan,4\nEdsger,5\n')).toMatchObject({ inserted: 3 });
    expect(readFileSync(file(), 'utf8')).toBe('\uFEFFid,email,name\n1,ada@x,Ada\n2,linus@x,Linus\n3,,Grace\n4,,Alan\n5,,Edsger\n');
  });

  it('upserts by key columns, values as text (a CSV file has no types)', async () => {
    expect(await run('email,name\nada@x,Ada L.\ngrace@x,007\ngrace@x,Grace\n', { keyColumns: ['email'] })).toMatchObject({ updated: 2, inserted: 1 });
    expect(readFileSync(file(), 'utf8')).toBe('\uFEFFid,email,name\n1,ada@x,Ada L.\n2,linus@x,Linus\n,grace@x,Grace\n');
  });

  it('deletes the rows whose keys are in the file', async () => {
    expect(await run('id\n2\n9\n', { kind: 'Delete', keyColumns: ['id'] })).toMatchObject({ deleted: 1 });
    expect(readFileSync(file(), 'utf8')).toBe('\uFEFFid,email,name\n1,ada@x,Ada\n');
  });

  it('writes a value as the same text whether rows are appended or applied: false is no NULL, bytes are base64', async () => {
    writeFileSync(file(), 'id,email,name\n');
    const csv = CsvConnector.open(dir, true);
    const columns = [
      { name: 'id', type: 'integer' as const },
      { name: 'email', type: 'boolean' as const },
      { name: 'name', type: 'blob' as const },
    ];
    const row = { id: 3, email: false, name: Buffer.from([0xf8, 0, 0]) };
    await csv.write('people', columns, [row]);
    await csv.applyAll('people', columns, (async function* () { yield [{ ...row, id: 4, email: true }]; })(), { mode: 'upsert', keys: null });
    await csv.close();
    expect(readFileSync(file(), 'utf8')).toBe('id,email,name\n3,false,+AAA\n4,true,+AAA\n');
  });

  it('leaves the file byte for byte as it was, and no partial file beside it, when a line is bad', async () => {
    const before = readFileSync(file());
    await expect(run('id,name\n3,A\n4,B\n5,C,D\n', { keyColumns: ['id'] })).rejects.toThrow('Line 4: expected 2 fields, found 3');
    await expect(run('id,name\n3,A\n4,B\n5,C,D\n')).rejects.toThrow('Line 4: expected 2 fields, found 3');
    expect(readFileSync(file())).toEqual(before);
    expect(readdirSync(dir)).toEqual(['people.csv']);
  });
});
