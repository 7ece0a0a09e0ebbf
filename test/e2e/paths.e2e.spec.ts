import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { Harness } from './app.harness.js';

const V2 = '/api.rsc/v2';

describe('Connections confined: never into the data dir, only under SLUICE_CONNECTION_ROOTS, tables in their directory (e2e)', () => {
  let h: Harness;
  let input: string;

  beforeAll(async () => {
    h = await new Harness().start();
    input = join(h.files, 'in');
    mkdirSync(input, { recursive: true });
    writeFileSync(join(input, 'people.csv'), 'id,name\n1,Ada\n2,Linus\n');
  });
  afterAll(() => h.destroy());

  const create = (workspace: string, name: string, kind: string, settings: object) =>
    h.post(`${V2}/workspaces/${workspace}/connections`, { name, kind, settings });

  it('stores the path it checked, resolved, so a restart elsewhere opens the same file', async () => {
    const res = await create('resolved', 'out', 'sqlite', { path: `${h.files}/in/../resolved.db` }).expect(201);
    expect(res.body.settings.path).toBe(join(h.files, 'resolved.db'));
  });

  it('refuses a path into the data dir, however it is spelled, and writes nothing', async () => {
    const link = join(h.files, 'innocent');
    symlinkSync(h.dataDir, link);
    const escapes = [
      ['sqlite', join(h.dataDir, 'events.db')],
      ['sqlite', join(h.files, '..', basename(h.dataDir), 'read-models.db')],
      ['csv', h.dataDir],
      ['csv', join(h.dataDir, 'not-yet', 'deeper')],
      ['sqlite', join(link, 'events.db')],
      ['csv', link],
    ];
    for (const [kind, path] of escapes) {
      const res = await create('esc', `${kind}-${escapes.findIndex((e) => e[1] === path)}`, kind, { path }).expect(400);
      expect(res.body.error).toMatchObject({ code: 'CONNECTION.PATH_FORBIDDEN', field: 'settings.path' });
      expect(res.body.error.message).toMatch(/data directory/);
    }
    // An object shaped like a stored secret is refused, not taken for one.
    const disguised = await create('esc', 'disguised', 'sqlite', { path: { plain: join(h.dataDir, 'events.db'), masked: '/x.db' } }).expect(400);
    expect(disguised.body.error).toMatchObject({ code: 'CONNECTION.SETTINGS_INVALID', field: 'settings.path' });
    const ok = await create('esc', 'fine', 'csv', { path: input }).expect(201);
    await h.put(`${V2}/connections/${ok.body.id}`, { settings: { path: join(link, 'x') } }).expect(400);
    expect((await h.get(`${V2}/workspaces/esc/connections`)).body.value.map((c: { name: string }) => c.name)).toEqual(['fine']);
    expect((await h.get(`${V2}/connections/${ok.body.id}`)).body.settings.path).toBe(input);
  });

  it('refuses at run time a path that a symlink made after the connection now leads into the data dir: the run fails saying why', async () => {
    const from = (await create('late', 'in', 'csv', { path: input }).expect(201)).body.id;
    const later = join(h.files, 'later');
    const into = (await create('late', 'out', 'sqlite', { path: join(later, 'events.db') }).expect(201)).body.id;
    symlinkSync(h.dataDir, later);
    const { run } = await h.runJob('late', { name: 'forge', source_connection_id: from, destination_connection_id: into, queries: ['REPLICATE [people]'] });
    expect(run.status).toBe('failed');
    const logs = (await h.get(`/v1/runs/${run.id}/logs`).expect(200)).body.lines.map((l: { message: string }) => l.message);
    expect(logs.join('\n')).toMatch(/failed: settings.path .*events\.db leads into Sluice's data directory/);
    const tables = new Database(join(h.dataDir, 'events.db'), { readonly: true }).prepare(`SELECT name FROM sqlite_master WHERE name = 'people'`).all();
    expect(tables).toEqual([]);
  });

  it('refuses table names that leave the CSV directory, as a 400 naming the query', async () => {
    const from = (await create('tables', 'in', 'csv', { path: input }).expect(201)).body.id;
    const into = (await create('tables', 'out', 'csv', { path: join(h.files, 'out') }).expect(201)).body.id;
    const job = (await h.post(`${V2}/workspaces/tables/jobs`, { name: 'j', source_connection_id: from, destination_connection_id: into }).expect(201)).body;
    for (const query of ['REPLICATE [../x]', 'REPLICATE [people] SELECT * FROM [../in/people]', 'REPLICATE [a\\b]', 'REPLICATE [/tmp/x]']) {
      const res = await h.post(`${V2}/jobs/${job.id}/tasks`, { query }).expect(400);
      expect(res.body.error).toMatchObject({ code: 'TASK.QUERY_INVALID', field: 'query' });
    }
    await h.post(`${V2}/workspaces/tables/jobs`, { name: 'k', queries: ['REPLICATE [..\\..\\x]'] }).expect(400);
    expect((await h.get(`${V2}/jobs/${job.id}`)).body.tasks).toEqual([]);
  });

  it('refuses unknown settings keys, naming them', async () => {
    const res = await create('keys', 'in', 'csv', { path: input, delimiter: ';' }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'CONNECTION.SETTINGS_INVALID', field: 'settings.delimiter' });
    const timeout = await create('keys', 'pg', 'postgres', { url: 'postgresql://x@localhost/db', read_timeout_ms: -5 }).expect(400);
    expect(timeout.body.error).toMatchObject({ field: 'settings.read_timeout_ms' });
    await create('keys', 'pg', 'postgres', { url: 'postgresql://x@localhost/db', connect_timeout_ms: 1000, statement_timeout_ms: 0, read_timeout_ms: 5000 }).expect(201);
  });
});

describe('SLUICE_CONNECTION_ROOTS (e2e)', () => {
  it('lets connections reach only paths under its roots, links resolved', async () => {
    const allowed = mkdtempSync(join(tmpdir(), 'sluice-root-a-'));
    const other = mkdtempSync(join(tmpdir(), 'sluice-root-b-'));
    const outside = mkdtempSync(join(tmpdir(), 'sluice-outside-'));
    const h = await new Harness().start({ SLUICE_CONNECTION_ROOTS: `${allowed}:${other}` });
    try {
      const create = (name: string, path: string) => h.post(`${V2}/workspaces/roots/connections`, { name, kind: 'sqlite', settings: { path } });
      await create('a', join(allowed, 'a.db')).expect(201);
      await create('b', join(other, 'sub', 'b.db')).expect(201);
      const res = await create('c', join(outside, 'c.db')).expect(400);
      expect(res.body.error).toMatchObject({ code: 'CONNECTION.PATH_FORBIDDEN', field: 'settings.path' });
      expect(res.body.error.message).toMatch(/SLUICE_CONNECTION_ROOTS/);
      symlinkSync(outside, join(allowed, 'out'));
      await create('d', join(allowed, 'out', 'd.db')).expect(400);
      await create('e', join(allowed, '..', basename(outside), 'e.db')).expect(400);
    } finally {
      await h.destroy();
      for (const dir of [allowed, other, outside]) rmSync(dir, { recursive: true, force: true });
    }
  });
});
