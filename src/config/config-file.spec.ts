import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, parseConfig } from './config-file.js';

const FILE = '/etc/sluice.yaml';

const EXAMPLE = `
server:
  admin_token: your_admin_token
  port: 8001
api: { port: 8001 }
log: { path: /var/log }
destinations:
  lake:
    type: sqlite
    datasource: { path: /var/data/lake.db }
  warehouse:
    type: postgres
    datasource: { url: postgresql://bob@db/sales, connect_timeout_ms: 5000 }
sources:
  crm:
    type: csv
    config: { path: /var/data/crm }
    destinations: [lake, warehouse]
    collections:
      - name: people
        table_name: crm_people
        parameters: { table: people }
        schedule: '*/5 * * * *'
      - name: recent
        parameters: { query: "SELECT * FROM [people] WHERE year > 2020" }
        schedule: 0 0 12 ? * MON
      - deals
`;

/** The message parseConfig throws for this YAML, or a failure when it parses. */
function errorOf(text: string): string {
  try {
    parseConfig(text, FILE);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the config parsed without an error');
}

/** A valid file with one source `crm` whose collection list is `collections` and `extra` lines added to it. */
function withSource(collections: string, extra = ''): string {
  return `destinations:\n  lake: { type: sqlite, datasource: { path: /l.db } }\nsources:\n  crm:\n    type: csv\n    config: { path: /d }\n    destinations: [lake]\n${extra}    collections: ${collections}\n`;
}

describe('the config file', () => {
  it('parses the full example, ignoring the Jitsu sections Sluice does not use', () => {
    expect(parseConfig(EXAMPLE, FILE)).toEqual({
      file: FILE,
      adminToken: 'your_admin_token',
      destinations: {
        lake: { kind: 'sqlite', settings: { path: '/var/data/lake.db' } },
        warehouse: { kind: 'postgres', settings: { url: 'postgresql://bob@db/sales', connect_timeout_ms: 5000 } },
      },
      sources: {
        crm: {
          id: 'crm',
          kind: 'csv',
          settings: { path: '/var/data/crm' },
          destinations: ['lake', 'warehouse'],
          collections: [
            { name: 'people', tableName: 'crm_people', table: 'people', schedule: '*/5 * * * *' },
            { name: 'recent', tableName: 'crm_recent', query: 'SELECT * FROM [people] WHERE year > 2020', schedule: '0 0 12 ? * MON' },
            { name: 'deals', tableName: 'crm_deals', table: 'deals' },
          ],
        },
      },
    });
  });

  it('reads an empty file as a config that declares nothing', () => {
    expect(parseConfig('# nothing yet\n', FILE)).toEqual({ file: FILE, destinations: {}, sources: {} });
  });

  it('accepts anchors, aliases and merge keys', () => {
    const text = `destinations:\n  lake: &store { type: sqlite, datasource: { path: /l.db } }\n  copy:\n    <<: *store\nsources:\n  crm:\n    type: csv\n    config: { path: /d }\n    destinations: [lake, copy]\n    collections: &list [a, b]\n  erp:\n    type: csv\n    config: { path: /e }\n    destinations: [lake]\n    collections: *list\n`;
    const config = parseConfig(text, FILE);
    expect(config.destinations.copy).toEqual({ kind: 'sqlite', settings: { path: '/l.db' } });
    expect(config.sources.erp.collections.map((c) => c.tableName)).toEqual(['erp_a', 'erp_b']);
  });

  it("turns Jitsu's postgres host/port form into one url with the user and password encoded", () => {
    const text = `destinations:\n  pg:\n    type: postgres\n    datasource:\n      host: db.example\n      port: 5433\n      db: sales\n      schema: public\n      username: bob@corp\n      password: "p@ss:w/rd%"\n      parameters: { sslmode: disable }\n      connect_timeout_ms: 2000\n`;
    expect(parseConfig(text, FILE).destinations.pg).toEqual({
      kind: 'postgres',
      settings: { connect_timeout_ms: 2000, url: 'postgresql://bob%40corp:p%40ss%3Aw%2Frd%25@db.example:5433/sales?sslmode=disable' },
    });
    expect(errorOf(text.replace('schema: public', 'schema: sales'))).toMatch(/^\/etc\/sluice\.yaml: destinations\.pg\.datasource\.schema: is not supported/);
    expect(errorOf(text.replace('      host: db.example\n', ''))).toContain('destinations.pg.datasource: needs url, or host and db');
    expect(errorOf(text.replace('db: sales', 'db: sales\n      url: postgresql://x/y'))).toContain('destinations.pg.datasource.host: give either url');
    expect(errorOf(text.replace('port: 5433', 'port: 70000'))).toContain('destinations.pg.datasource.port: must be a port number');
  });

  it('says where a YAML syntax error is, without quoting the file', () => {
    const message = errorOf('server:\n  admin_token: secret-tok\nsources: [a, b\nx: 1\n');
    expect(message).toMatch(/^\/etc\/sluice\.yaml: line 4, column 1: /);
    expect(message).not.toContain('secret-tok');
    expect(errorOf('a: 1\na: 2\n')).toMatch(/^\/etc\/sluice\.yaml: line 2, column 1: Map keys must be unique/);
  });

  it('rejects a document over 1 MB', () => {
    expect(errorOf(`# ${'x'.repeat(1024 * 1024)}\n`)).toBe(`${FILE}: the config file is larger than 1 MB`);
  });

  it.each([
    ['a top level that is not a mapping', '- a\n', `${FILE}: must be a mapping, not a list`],
    ['an empty admin token', 'server: { admin_token: "" }\n', `${FILE}: server.admin_token: must be a non-empty string (line 1)`],
    ['a bad source id', withSource('[a]').replace('  crm:', '  "crm.x":'), 'sources["crm.x"]: id must be 1-100 characters'],
    ['a too long destination id', `destinations:\n  ${'d'.repeat(101)}: { type: csv, datasource: { path: /x } }\n`, `destinations.${'d'.repeat(101)}: id must be`],
    ['an unknown source key', withSource('[a]', '    catalog: x\n'), 'sources.crm.catalog: unknown key (expected type, config, destinations, collections) (line 8)'],
    ['a source-level schedule', withSource('[a]', "    schedule: '* * * * *'\n"), 'sources.crm.schedule: unknown key: a schedule belongs on each collection'],
    ['an unknown destination key', 'destinations:\n  lake: { type: csv, datasource: { path: /x }, mode: batch }\n', 'destinations.lake.mode: unknown key'],
    ['an unknown collection key', withSource('[{ name: a, start_date: 2020-01-01 }]'), 'sources.crm.collections[0].start_date: unknown key'],
    ['an unknown kind', withSource('[a]').replace('type: csv', 'type: mysql'), 'sources.crm.type: must be one of csv, sqlite, postgres, not "mysql"'],
    ['a missing path', withSource('[a]').replace('{ path: /d }', '{ dir: /d }'), 'sources.crm.config: needs path'],
    ['a setting that is not a string or number', withSource('[a]').replace('{ path: /d }', '{ path: /d, header: true }'), 'sources.crm.config.header: must be a string or a number, not true'],
    ['a source without destinations', withSource('[a]').replace('[lake]', '[]'), 'sources.crm.destinations: needs at least one destination'],
    ['an undeclared destination', withSource('[a]').replace('[lake]', '[lake, sea]'), 'sources.crm.destinations[1]: "sea" is not declared under destinations'],
    ['a destination listed twice', withSource('[a]').replace('[lake]', '[lake, lake]'), 'sources.crm.destinations[1]: "lake" is listed twice'],
    ['a source without collections', withSource('[]'), 'sources.crm.collections: needs at least one collection'],
    ['a collection name with a slash', withSource('[ok, "a/b"]'), 'sources.crm.collections[1]: must be 1-100 characters of A-Z a-z 0-9 _ -, not "a/b"'],
    ['a collection without a name', withSource('[{ table_name: t }]'), 'sources.crm.collections[0].name: must be 1-100 characters'],
    ['a duplicate collection name', withSource('[a, b, { name: a }]'), 'sources.crm.collections[2]: collection name "a" is also used by sources.crm.collections[0]'],
    ['a table name with "]"', withSource('[{ name: a, table_name: "x]y" }]'), 'sources.crm.collections[0].table_name: must be a non-empty string of at most 200 characters without "]"'],
    ['a table name too long', withSource(`[{ name: a, table_name: ${'t'.repeat(201)} }]`), 'sources.crm.collections[0].table_name: must be a non-empty string'],
    ['an empty source table', withSource('[{ name: a, parameters: { table: "" } }]'), 'sources.crm.collections[0].parameters.table: must be a non-empty string'],
    ['both table and query', withSource('[{ name: a, parameters: { table: t, query: "SELECT 1" } }]'), 'sources.crm.collections[0].parameters: needs exactly one of table or query'],
    ['neither table nor query', withSource('[{ name: a, parameters: {} }]'), 'sources.crm.collections[0].parameters: needs exactly one of table or query'],
    ['another parameter', withSource('[{ name: a, parameters: { table: t, limit: 5 } }]'), 'sources.crm.collections[0].parameters.limit: unknown key (expected table, query)'],
    ['a query too long', withSource(`[{ name: a, parameters: { query: "${'q'.repeat(10_001)}" } }]`), 'sources.crm.collections[0].parameters.query: must be a non-empty string of at most 10000 characters'],
    ['a cron with three fields', withSource("[{ name: a, schedule: '*/5 * *' }]"), 'sources.crm.collections[0].schedule: "*/5 * *" is not a valid cron expression (3 fields; expected 5, or 6 with seconds first)'],
    ['a cron out of range', withSource("[{ name: a, schedule: '61 * * * *' }]"), 'sources.crm.collections[0].schedule: "61 * * * *" is not a valid cron expression (Constraint error'],
    ['a cron that is not a string', withSource('[{ name: a, schedule: 5 }]'), 'sources.crm.collections[0].schedule: must be a cron expression, not 5'],
  ])('rejects %s, naming its path', (_, text, expected) => {
    const message = errorOf(text);
    expect(message.startsWith(`${FILE}: `)).toBe(true);
    expect(message).toContain(expected);
  });

  it('rejects two pairs with the same <source>_<collection> job name, naming both', () => {
    const text = `destinations:\n  lake: { type: sqlite, datasource: { path: /l.db } }\nsources:\n  a_b:\n    type: csv\n    config: { path: /d }\n    destinations: [lake]\n    collections: [c]\n  a:\n    type: csv\n    config: { path: /d }\n    destinations: [lake]\n    collections: [x, b_c]\n`;
    expect(errorOf(text)).toBe(`${FILE}: sources.a.collections[1]: job name "a_b_c" (<source>_<collection>) is also the job name of sources.a_b.collections[0] (line 13)`);
  });
});

describe('finding the config file', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('fails, naming the file, when SLUICE_CONFIG points to a missing file', () => {
    const dir = tempDir();
    expect(() => loadConfigFile({ SLUICE_CONFIG: 'conf/missing.yaml' }, dir)).toThrow(`${join(dir, 'conf/missing.yaml')}: no such file (named by SLUICE_CONFIG)`);
  });

  it('reads the file SLUICE_CONFIG names, before ./sluice.yaml', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf/s.yaml'), 'server: { admin_token: from-env }\n');
    writeFileSync(join(dir, 'sluice.yaml'), 'server: { admin_token: from-cwd }\n');
    expect(loadConfigFile({ SLUICE_CONFIG: 'conf/s.yaml' }, dir)).toMatchObject({ file: join(dir, 'conf/s.yaml'), adminToken: 'from-env' });
  });

  it('reads ./sluice.yaml from the working directory when SLUICE_CONFIG is unset', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'sluice.yaml'), EXAMPLE);
    expect(loadConfigFile({}, dir)).toEqual({ ...parseConfig(EXAMPLE, join(dir, 'sluice.yaml')) });
    expect(loadConfigFile({}, dir)?.file).toBe(join(dir, 'sluice.yaml'));
  });

  it('has no config when neither exists', () => {
    expect(loadConfigFile({}, tempDir())).toBeUndefined();
  });

  it('refuses a file over 1 MB without reading it', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'sluice.yaml'), `# ${'x'.repeat(1024 * 1024)}\n`);
    expect(() => loadConfigFile({}, dir)).toThrow(`${join(dir, 'sluice.yaml')}: the config file is larger than 1 MB`);
  });
});
