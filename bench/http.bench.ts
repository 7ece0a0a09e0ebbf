import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { Row } from './events.bench.js';
import { freePort, waitUntilUp } from './replicate.bench.js';

const SECONDS = Number(process.env.SLUICE_BENCH_HTTP_SECONDS || 5);
const HEADERS = { 'x-cdata-authtoken': 'bench', 'content-type': 'application/json' };
const V2 = '/api.rsc/v2';

async function serve(script: string, env: Record<string, string>): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--max-semi-space-size=32', script], { env: { ...process.env, ...env, PORT: String(port) }, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilUp(url, script.includes('bare') ? '/bare/job' : '/health');
  return { url, process: child };
}

/** Requests per second over `seconds`, with `connections` at once; `requests` go round in turn. */
async function load(url: string, connections: number, requests: autocannon.Request[], seconds = SECONDS): Promise<number> {
  const result = await autocannon({ url, connections, duration: seconds, requests, headers: HEADERS });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}${requests[0].path}: ${result.non2xx} answers other than 2xx, ${result.errors} errors`);
  return Math.round(result.requests.average);
}

type Load = (seconds?: number) => Promise<number>;

/**
 * A route and its ceiling loaded in turns (ceiling, route, route, ceiling, ceiling, route), so a machine whose
 * speed drifts during the bench weighs on both alike; the median of each. Each is loaded for a second first,
 * unmeasured: a first turn would otherwise time the JIT compiling the route's code (Sluice's first turn of
 * `GET /jobs/{id}` ran at two thirds of its later ones).
 */
async function inTurns(route: Load, ceiling: Load): Promise<[number, number]> {
  await ceiling(1);
  await route(1);
  const [routes, ceilings]: [number[], number[]] = [[], []];
  for (const turn of ['ceiling', 'route', 'route', 'ceiling', 'ceiling', 'route']) {
    if (turn === 'route') routes.push(await route());
    else ceilings.push(await ceiling());
  }
  const median = (rates: number[]) => [...rates].sort((a, b) => a - b)[1];
  return [median(routes), median(ceilings)];
}

/**
 * The HTTP routes beside a bare Nest route answering the same bodies: reads of a job and a list, and task appends
 * on one job (at 10 tasks and at 3,000: the cost of a command must not grow with its stream) and over 64 jobs.
 */
export async function httpBenchmarks(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-http-'));
  const sluice = await serve('dist/src/main.js', { SLUICE_DATA_DIR: join(dir, 'data'), SLUICE_ADMIN_TOKEN: 'bench', SLUICE_WORKERS: '0' });
  let bare: Awaited<ReturnType<typeof serve>> | undefined;
  try {
    const post = async (path: string, body: object) => {
      const res = await fetch(`${sluice.url}${path}`, { method: 'POST', headers: HEADERS, body: JSON.stringify(body) });
      if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string };
    };
    const jobs: string[] = [];
    for (let i = 0; i < 64; i++) jobs.push((await post(`${V2}/workspaces/bench/jobs`, { name: `job ${i}`, queries: Array.from({ length: 10 }, (_, t) => `REPLICATE [t${t}]`) })).id);
    const big = (await post(`${V2}/workspaces/bench/jobs`, { name: 'big' })).id;
    for (let t = 0; t < 3000; t += 100) await Promise.all(Array.from({ length: 100 }, (_, k) => post(`${V2}/jobs/${big}/tasks`, { query: `REPLICATE [b${t + k}]` })));
    const addTask = (jobId: string): autocannon.Request => ({ method: 'POST', path: `${V2}/jobs/${jobId}/tasks`, body: JSON.stringify({ query: 'REPLICATE [more]' }) });

    const jobPath = `${V2}/jobs/${jobs[0]}`;
    const listPath = `${V2}/workspaces/bench/jobs?limit=20`;
    const answer = async (path: string) => (await fetch(`${sluice.url}${path}`, { headers: HEADERS })).json();
    writeFileSync(join(dir, 'bare.json'), JSON.stringify({ job: await answer(jobPath), jobs: await answer(listPath) }));
    bare = await serve('dist/bench/bare-nest.js', { SLUICE_BARE_BODIES: join(dir, 'bare.json') });
    const bareUrl = bare.url;
    const [getJob, bareJob] = await inTurns(
      (seconds) => load(sluice.url, 10, [{ method: 'GET', path: jobPath }], seconds),
      (seconds) => load(bareUrl, 10, [{ method: 'GET', path: '/bare/job' }], seconds),
    );
    const [list, bareList] = await inTurns(
      (seconds) => load(sluice.url, 10, [{ method: 'GET', path: listPath }], seconds),
      (seconds) => load(bareUrl, 10, [{ method: 'GET', path: '/bare/jobs' }], seconds),
    );
    // A new job of 10 tasks for each turn of the ceiling; the big one grows by each of its turns.
    let smalls = 0;
    const small = async () => (await post(`${V2}/workspaces/bench/jobs`, { name: `small ${++smalls}`, queries: Array.from({ length: 10 }, (_, t) => `REPLICATE [s${t}]`) })).id;
    const [tasksBig, tasksSmall] = await inTurns(
      (seconds) => load(sluice.url, 16, [addTask(big)], seconds),
      async (seconds) => load(sluice.url, 16, [addTask(await small())], seconds),
    );
    const tasksSpread = await load(sluice.url, 16, jobs.map(addTask));
    return [
      { benchmark: 'GET /jobs/{id}, 10 connections (ceiling: a bare Nest route, same body)', sluice: getJob, ceiling: bareJob, unit: 'req/s' },
      { benchmark: 'GET /workspaces/{id}/jobs, 20 a page (ceiling: a bare Nest route, same body)', sluice: list, ceiling: bareList, unit: 'req/s' },
      { benchmark: 'POST /jobs/{id}/tasks on a job of 3,000+ tasks (ceiling: one of 10)', sluice: tasksBig, ceiling: tasksSmall, unit: 'req/s' },
      { benchmark: 'POST /jobs/{id}/tasks over 64 jobs, 16 connections (ceiling: GET /jobs/{id})', sluice: tasksSpread, ceiling: getJob, unit: 'req/s' },
    ];
  } finally {
    sluice.process.kill();
    bare?.process.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
