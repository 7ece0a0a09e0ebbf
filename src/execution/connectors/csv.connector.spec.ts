import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvConnector } from './csv.connector.js';

describe('CSV connector', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-csv-'));
    writeFileSync(join(dir, 'people.csv'), 'id,name\n1,Ada\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('says the file changed when a column it was asked for is no longer in the header', async () => {
    const csv = CsvConnector.open(dir, true);
    const read = async () => {
      for await (const _batch of csv.read({ table: 'people', columns: [{ name: 'email', as: 'email' }], batchSize: 10 }));
    };
    await expect(read()).rejects.toThrow('Column email is no longer in people.csv: the file changed while it was being read');
    await csv.close();
  });
});
