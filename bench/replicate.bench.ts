import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { SingleBar, Presets } from 'cli-progress';
import type { Row } from './events.bench.js';

export const ROWS = 1_000_000;

/** A ~100 MB CSV of 1,000,000 rows, written as a stream. */
export async function writeCsv(file: string): Promise<void> {
  const out = createWriteStream(file);
  out.write('id,name,email,amount,created_at,note\n');
  for (let i = 1; i <= ROWS; i++) {
    const line = `${i},Customer ${i},customer${i}@example.com,${(i % 10_000) / 100},2026-01-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z,note number ${i} for this row\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function waitUntilUp(url: string, path = '/health'): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await fetch(`${url}${path}`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}${path} did not start answering`);
}

export function sqliteShell(): string {
  if (spawnSync('sqlite3', ['-version']).status !== 0) {
    console.log('Installing the sqlite3 shell (apt-get install sqlite3) for the ceiling…');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'sqlite3'], { stdio: 'inherit' });
  }
  return 'sqlite3';
}

/**
 * Runs of the job, each between two of the shell's: this machine's speed drifts by a third from minute to
 * minute, and the median of three runs still moved 0.69–0.81 between benches minutes apart.
 */
const RUNS = 5;

/**
 * The 1M-row CSV into SQLite through a Sluice job, beside the sqlite3 shell's `.import` of the same file:
 * shell, job, shell, job, …, shell, each into a new file. Each job run is set against the mean of the
 * shell runs either side of it, and the row reports the pair with the median ratio.
 */
export async function replicateBenchmark(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-replicate-'));
  try {
    const input = join(dir, 'in');
    mkdirSync(input);
    const csv = join(input, 'customers.csv');
    await writeCsv(csv);
    console.log(`CSV: ${ROWS.toLocaleString()} rows, ${(statSync(csv).size / 1e6).toFixed(0)} MB`);

    const shell = sqliteShell();
    const shellImport = () => {
      const file = join(dir, 'shell.db');
      const shellStarted = process.hrtime.bigint();
      execFileSync(shell, [file, '.import --csv ' + csv + ' customers']);
      const seconds = Number(process.hrtime.bigint() - shellStarted) / 1e9;
      rmSync(file);
      return seconds;
    };
    const shellSeconds = [shellImport()];

    // Sluice as `npm start` runs it, in its own process, so its peak RSS is its own.
    const port = await freePort();
    const service = spawn(process.execPath, ['--max-semi-space-size=32', 'dist/src/main.js'], {
      env: { ...process.env, SLUICE_DATA_DIR: join(dir, 'data'), SLUICE_ADMIN_TOKEN: 'bench', PORT: String(port) },
      stdio: 'ignore',
    });
    const url = `http://127.0.0.1:${port}`;
    await waitUntilUp(url);
    const call = async (method: string, path: string, body?: object) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { 'x-cdata-authtoken': 'bench', 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      });
      return (await res.json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    const from = (await call('POST', '/api.rsc/v2/workspaces/bench/connections', { name: 'in', kind: 'csv', settings: { path: input } })).id;
    const sluiceSeconds: number[] = [];
    let peakRssMb = 0;
    try {
      for (let n = 1; n <= RUNS; n++) {
        const into = (await call('POST', '/api.rsc/v2/workspaces/bench/connections', { name: `out${n}`, kind: 'sqlite', settings: { path: join(dir, `sluice${n}.db`) } })).id;
        const job = await call('POST', '/api.rsc/v2/workspaces/bench/jobs', {
          name: `bench${n}`,
          source_connection_id: from,
          destination_connection_id: into,
          batch_size: 10_000,
          queries: ['REPLICATE [customers]'],
        });
        const bar = new SingleBar({ format: `replicating, run ${n} of ${RUNS} {bar} {percentage}% | {value}/{total} rows` }, Presets.shades_classic);
        bar.start(ROWS, 0);
        const started = process.hrtime.bigint();
        const run = await call('POST', `/api.rsc/v2/jobs/${job.id}/execute`, {});
        let status = run;
        while (!['succeeded', 'failed', 'cancelled'].includes(status.status)) {
          // Often enough that noticing the end adds little to what is measured.
          await new Promise((r) => setTimeout(r, 20));
          status = await call('GET', `/v1/runs/${run.id}`);
          bar.update(status.steps?.[0]?.rowsWritten ?? 0);
        }
        sluiceSeconds.push(Number(process.hrtime.bigint() - started) / 1e9);
        bar.update(status.rowsWritten);
        bar.stop();
        if (status.status !== 'succeeded') throw new Error(`The bench run ${status.status}: ${status.error}`);
        rmSync(join(dir, `sluice${n}.db`), { force: true });
        shellSeconds.push(shellImport());
      }
      peakRssMb = Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${service.pid}/status`, 'utf8'))?.[1]) / 1024);
    } finally {
      service.kill();
    }
    console.log(`Sluice's peak RSS over the runs: ${peakRssMb} MB (it must stay under 300 MB)`);
    const pairs = sluiceSeconds.map((seconds, i) => ({ sluice: ROWS / seconds, ceiling: ROWS / ((shellSeconds[i] + shellSeconds[i + 1]) / 2) }));
    console.log(`job against shell, run by run: ${pairs.map((p) => (p.sluice / p.ceiling).toFixed(2)).join(', ')}`);
    const median = [...pairs].sort((a, b) => a.sluice / a.ceiling - b.sluice / b.ceiling)[Math.floor(RUNS / 2)];
    return [
      {
        benchmark: `csv → sqlite, ${ROWS.toLocaleString()} rows (job vs sqlite3 .import, median of ${RUNS})`,
        sluice: Math.round(median.sluice),
        ceiling: Math.round(median.ceiling),
        unit: 'rows/s',
        peakRssMb,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
