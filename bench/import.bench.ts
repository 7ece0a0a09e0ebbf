import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openAsBlob, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Presets, SingleBar } from 'cli-progress';
import type { Row } from './events.bench.js';
import { freePort, ROWS, sqliteShell, waitUntilUp, writeCsv } from './replicate.bench.js';

const TABLE = 'CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, email TEXT, amount REAL, created_at TEXT, note TEXT)';

/**
 * The 1M-row CSV uploaded to a data sync (`POST /api/data-sync/import/{id}`) and upserted into SQLite, from the
 * upload's first byte to the launch `finished`, beside the sqlite3 shell's `.import` of the same file.
 */
export async function importBenchmark(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-import-'));
  try {
    const csv = join(dir, 'customers.csv');
    await writeCsv(csv);
    const shellDb = join(dir, 'shell.db');
    new Database(shellDb).exec(TABLE).close();
    const shellStarted = process.hrtime.bigint();
    execFileSync(sqliteShell(), [shellDb, `.import --csv --skip 1 ${csv} customers`]);
    const shellSeconds = Number(process.hrtime.bigint() - shellStarted) / 1e9;

    const target = join(dir, 'sluice.db');
    new Database(target).exec(TABLE).close();
    const port = await freePort();
    const service = spawn(process.execPath, ['--max-semi-space-size=32', 'dist/src/main.js'], {
      env: { ...process.env, SLUICE_DATA_DIR: join(dir, 'data'), SLUICE_ADMIN_TOKEN: 'bench', PORT: String(port) },
      stdio: 'ignore',
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitUntilUp(url);
      const json = { 'x-cdata-authtoken': 'bench', 'content-type': 'application/json' };
      const post = async (path: string, body: object) => (await (await fetch(`${url}${path}`, { method: 'POST', headers: json, body: JSON.stringify(body) })).json()) as { id: string };
      const connection = await post('/api.rsc/v2/workspaces/bench/connections', { name: 'crm', kind: 'sqlite', settings: { path: target } });
      const sync = await post('/v1/data-syncs', { name: 'customers', kind: 'import', connection_id: connection.id, table: 'customers' });

      const bar = new SingleBar({ format: 'importing {bar} {percentage}% | {value}/{total} rows' }, Presets.shades_classic);
      bar.start(ROWS, 0);
      const started = process.hrtime.bigint();
      const form = new FormData();
      form.append('file', await openAsBlob(csv), 'customers.csv');
      const upload = await fetch(`${url}/api/data-sync/import/${sync.id}`, { method: 'POST', body: form });
      if (upload.status !== 200) throw new Error(`The upload answered ${upload.status}: ${await upload.text()}`);
      let launch: { status?: string; 'status-message'?: string; id?: number } = {};
      while (!['finished', 'cancelled'].includes(launch.status ?? '')) {
        await new Promise((r) => setTimeout(r, 100));
        launch = ((await (await fetch(`${url}/api/data-sync/${sync.id}`, { headers: { accept: 'application/json' } })).json()) as { 'latest-launch'?: typeof launch })['latest-launch'] ?? {};
        const history = (await (await fetch(`${url}/api.rsc/v2/jobs/${sync.id}/history?limit=1`, { headers: json })).json()) as { value: Array<{ tasks: Array<{ rows_written: number }> }> };
        bar.update(history.value[0]?.tasks[0]?.rows_written ?? 0);
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      bar.update(ROWS);
      bar.stop();
      const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${service.pid}/status`, 'utf8'))?.[1];
      console.log(`Sluice's peak RSS during the import: ${Math.round(Number(peak) / 1024)} MB`);
      if (launch.status !== 'finished') throw new Error(`The import launch ended ${launch.status}: ${launch['status-message']}`);
      const count = new Database(target, { readonly: true }).prepare('SELECT COUNT(*) AS n FROM customers').get() as { n: number };
      if (count.n !== ROWS) throw new Error(`The import wrote ${count.n} rows, not ${ROWS}`);
      return [{ benchmark: `csv upload → data sync import into sqlite, ${ROWS.toLocaleString()} rows (vs sqlite3 .import)`, sluice: Math.round(ROWS / seconds), ceiling: Math.round(ROWS / shellSeconds), unit: 'rows/s' }];
    } finally {
      service.kill();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
