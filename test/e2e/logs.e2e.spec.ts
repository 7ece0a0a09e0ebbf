import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProjectionRunner } from '../../projections/runner.js';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store.js';
import { LogRetention } from '../../src/logs/log-retention.js';
import { type LogDoc, LOGS } from '../../src/runs/runs.read-model.js';
import { Harness } from './app.harness.js';

interface Line {
  at: string;
  level: string;
  message: string;
  job_id: string;
  run_id: string;
  task_id: string | null;
}

const EVER = 'from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z';
const ms = (at: string, delta: number) => new Date(Date.parse(at) + delta).toISOString();

describe('log search over every run (e2e)', () => {
  let h: Harness;
  let good: { jobId: string; runs: string[]; taskIds: string[] };
  let bad: { jobId: string; run: string };
  /** Every line of both jobs, oldest first, as the search answers them: the oracle the filters are checked against. */
  let all: Line[];

  const search = async (query: string) => (await h.get(`/v1/logs?${query}`).expect(200)).body as { lines: Line[]; next_cursor: string | null };
  const pages = async (query: string, limit: number) => {
    const seen: Line[] = [];
    let cursor: string | null = null;
    do {
      const page = await search(`${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.lines.length).toBeLessThanOrEqual(limit);
      seen.push(...page.lines);
      cursor = page.next_cursor;
    } while (cursor);
    return seen;
  };
  /** A run's lines as its own route has them: in the order they were written. */
  const runLog = async (runId: string) => (await h.get(`/v1/runs/${runId}/logs`).expect(200)).body.lines.map((l: { message: string }) => l.message);

  beforeAll(async () => {
    h = await new Harness().start();
    const files = join(h.files, 'files');
    mkdirSync(files, { recursive: true });
    writeFileSync(join(files, 'accounts.csv'), 'id,name\n1,Alice\n2,Bob\n');
    writeFileSync(join(files, 'leads.csv'), 'id,email\n1,a@example.com\n');
    const src = await h.connection('logs', 'files', 'csv', { path: files });
    const dst = await h.connection('logs', 'warehouse', 'sqlite', { path: join(h.files, 'warehouse.db') });
    const first = await h.runJob('logs', { name: 'good', source_connection_id: src, destination_connection_id: dst, queries: ['REPLICATE [Accounts] SELECT * FROM [accounts]', 'REPLICATE [Leads] SELECT * FROM [leads]'] });
    const second = await h.waitForRun(first.job.id, (await h.post(`/api.rsc/v2/jobs/${first.job.id}/execute`).expect(202)).body.id);
    const run = (await h.get(`/v1/runs/${first.run.id}`).expect(200)).body;
    good = { jobId: first.job.id, runs: [first.run.id, second.id], taskIds: run.steps.map((s: { taskId: string }) => s.taskId) };
    const failing = await h.runJob('logs', { name: 'bad', source_connection_id: src, destination_connection_id: dst, queries: ['REPLICATE [Missing] SELECT * FROM [no_such_table]'] });
    expect(failing.run.status).toBe('failed');
    bad = { jobId: failing.job.id, run: failing.run.id };
    // The logs read model follows the log on its own: wait until every run's last line is in it.
    for (let tries = 0; ; tries++) {
      all = await pages(`${EVER}&order=asc`, 1000);
      if (all.filter((l) => /^FINISHED/.test(l.message)).length === 3) break;
      if (tries > 200) throw new Error('the logs read model did not catch up');
      await new Promise((r) => setTimeout(r, 25));
    }
  });
  afterAll(() => h.destroy());

  it('answers every line of a range, newest first by default and oldest first with order=asc, same-millisecond lines as written', async () => {
    expect(Object.keys(all[0]).sort()).toEqual(['at', 'job_id', 'level', 'message', 'run_id', 'task_id']);
    for (const runId of [...good.runs, bad.run]) {
      expect(all.filter((l) => l.run_id === runId).map((l) => l.message)).toEqual(await runLog(runId));
    }
    expect(all.map((l) => l.at)).toEqual(all.map((l) => l.at).sort());
    expect((await search(`${EVER}&limit=1000`)).lines).toEqual([...all].reverse());
    expect((await search(`${EVER}&order=desc&limit=1000`)).lines).toEqual([...all].reverse());
    expect((await search(EVER)).lines).toHaveLength(Math.min(100, all.length));
  });

  it('includes the lines at exactly `from` and at exactly `to`', async () => {
    const line = all[Math.floor(all.length / 2)];
    const at = (t: string) => all.filter((l) => l.at === t);
    expect((await search(`from=${line.at}&to=${line.at}&order=asc`)).lines).toEqual(at(line.at));
    const [first, last] = [all[0].at, all[all.length - 1].at];
    expect((await search(`from=${first}&to=${last}&order=asc&limit=1000`)).lines).toEqual(all);
    expect((await search(`from=${ms(first, 1)}&to=${ms(last, -1)}&order=asc&limit=1000`)).lines).toEqual(all.filter((l) => l.at !== first && l.at !== last));
    // The same instant written with an offset, or without a zone (UTC), is the same bound.
    const shifted = new Date(Date.parse(line.at) + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    expect((await search(`from=${encodeURIComponent(shifted)}&to=${line.at.replace('Z', '')}&order=asc`)).lines).toEqual(at(line.at));
  });

  it('narrows by job, run, task, level and words, alone and together', async () => {
    const expectLines = async (query: string, wanted: (l: Line) => boolean) => {
      const expected = all.filter(wanted);
      expect(expected.length).toBeGreaterThan(0);
      expect((await search(`${EVER}&order=asc&limit=1000&${query}`)).lines).toEqual(expected);
    };
    await expectLines(`job=${good.jobId}`, (l) => l.job_id === good.jobId);
    await expectLines(`run=${good.runs[1]}`, (l) => l.run_id === good.runs[1]);
    await expectLines(`task=${good.taskIds[1]}`, (l) => l.task_id === good.taskIds[1]);
    await expectLines('level=warn', (l) => l.level === 'warn' || l.level === 'error');
    await expectLines('level=error', (l) => l.level === 'error');
    await expectLines('level=debug', () => true);
    await expectLines('q=finished%20SUCCESSFULLY', (l) => /^FINISHED SUCCESSFULLY/.test(l.message));
    await expectLines('q=no_such_table', (l) => l.message.includes('[no_such_table]'));
    await expectLines(`job=${good.jobId}&q=rows%20Leads&run=${good.runs[0]}`, (l) => l.run_id === good.runs[0] && /rows .*\[Leads\]/.test(l.message));
    await expectLines(`job=${bad.jobId}&level=error&q=finished`, (l) => l.job_id === bad.jobId && /^FINISHED WITH ERRORS/.test(l.message));
    expect((await search(`${EVER}&q=finish`)).lines).toEqual([]);
    expect((await search(`${EVER}&job=${bad.jobId}&level=info&q=successfully`)).lines).toEqual([]);
  });

  it('pages through a range in both orders without gaps or repeats', async () => {
    for (const limit of [1, 2, 3, 7]) {
      expect(await pages(`${EVER}&order=asc`, limit)).toEqual(all);
      expect(await pages(`${EVER}&order=desc`, limit)).toEqual([...all].reverse());
    }
    const mine = all.filter((l) => l.job_id === good.jobId && /rows/.test(l.message));
    expect(await pages(`${EVER}&job=${good.jobId}&q=rows&order=asc`, 2)).toEqual(mine);
    const last = await search(`${EVER}&limit=${all.length}`);
    expect(last.next_cursor).toBeNull();
  });

  it('answers 400 naming the field for a missing or unparsable time, a reversed range and other bad input', async () => {
    const at = all[0].at;
    const cases: Array<[string, string]> = [
      [`to=${at}`, 'from'],
      [`from=${at}`, 'to'],
      [`from=yesterday&to=${at}`, 'from'],
      [`from=${at}&to=2026-13-45T00:00:00Z`, 'to'],
      [`from=${ms(at, 1)}&to=${at}`, 'from'],
      [`${EVER}&level=loud`, 'level'],
      [`${EVER}&order=sideways`, 'order'],
      [`${EVER}&limit=0`, 'limit'],
      [`${EVER}&limit=1001`, 'limit'],
      [`${EVER}&q=${encodeURIComponent('!!! ...')}`, 'q'],
      [`${EVER}&cursor=not-a-cursor`, 'cursor'],
      [`${EVER}&job=a&job=b`, 'job'],
    ];
    for (const [query, field] of cases) {
      const res = await h.get(`/v1/logs?${query}`);
      expect([query, res.status, res.body.error?.code, res.body.error?.field]).toEqual([query, 400, 'VALIDATION', field]);
      expect(res.body.error.message).toEqual(expect.stringContaining(field));
    }
  });
});

describe('log retention (e2e)', () => {
  const DAY = 24 * 3600_000;
  const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
  let h: Harness;

  const messages = async () => ((await h.get(`/v1/logs?${EVER}&order=asc&limit=1000`).expect(200)).body.lines as Line[]).map((l) => l.message);
  const logged = (message: string, at: string) => ({
    id: randomUUID(),
    type: 'RunLogged',
    data: { runId: 'r-old', jobId: 'j-old', level: 'info', message },
    metadata: { actor: 'test', correlationId: 'c', occurredAt: at, schemaVersion: 1 },
  });
  const line = (message: string, at: string): LogDoc => ({ id: randomUUID(), runId: 'r-doc', jobId: 'j-doc', taskId: null, at, level: 'info', severity: 1, message, position: '0' });

  beforeAll(async () => {
    h = await new Harness().start();
    const files = join(h.files, 'files');
    mkdirSync(files, { recursive: true });
    writeFileSync(join(files, 'accounts.csv'), 'id,name\n1,Alice\n');
    const src = await h.connection('keep', 'files', 'csv', { path: files });
    const dst = await h.connection('keep', 'warehouse', 'sqlite', { path: join(h.files, 'warehouse.db') });
    await h.runJob('keep', { name: 'today', source_connection_id: src, destination_connection_id: dst, queries: ['REPLICATE [Accounts]'] });
    await h.stop();
    // Lines from long ago: some only in the log (a projection applies them at the next start), some only in the read model.
    const events = new SqliteEventStore(join(h.dataDir, 'events.db'));
    await events.append('run-r-old', [logged('ancient event line', '2020-01-01T00:00:00.000Z'), logged('recent event line', ago(1))], 'no_stream');
    await events.close();
    const reads = new SqliteReadStore(join(h.dataDir, 'read-models.db'));
    await reads.write([line('ancient stored line', '2019-06-01T00:00:00.000Z'), line('month-old stored line', ago(31)), line('recent stored line', ago(29))].map((doc) => ({ collection: LOGS, op: 'upsert' as const, doc })));
    await reads.close();
    await h.start({ SLUICE_LOG_RETENTION_DAYS: '30' });
    for (let tries = 0; !(await messages()).includes('recent event line'); tries++) {
      if (tries > 200) throw new Error('the logs read model did not catch up');
      await new Promise((r) => setTimeout(r, 25));
    }
  });
  afterAll(() => h.destroy());

  it('drops the lines older than SLUICE_LOG_RETENTION_DAYS at start, and keeps the newer ones', async () => {
    await h.app.get(LogRetention).prune();
    const kept = await messages();
    expect(kept).toEqual(expect.arrayContaining(['recent event line', 'recent stored line', expect.stringMatching(/^FINISHED SUCCESSFULLY/)]));
    expect(kept).not.toContain('ancient stored line');
    expect(kept).not.toContain('month-old stored line');
    expect(kept).not.toContain('ancient event line');
  });

  it('leaves the lines past retention out of a replay, which rebuilds the newer ones from the log', async () => {
    const runner = h.app.get(ProjectionRunner);
    await runner.rebuild(runner.projections.find((p) => p.name === 'logs')!);
    const rebuilt = await messages();
    expect(rebuilt).toEqual(expect.arrayContaining(['recent event line', expect.stringMatching(/^FINISHED SUCCESSFULLY/)]));
    expect(rebuilt).not.toContain('ancient event line');
  });

  it('moves the cut-off with the clock', async () => {
    expect(await h.app.get(LogRetention).prune(new Date(Date.now() + 40 * DAY))).toBeGreaterThan(0);
    expect(await messages()).toEqual([]);
  });
});

describe("a job's log_retention_runs (e2e)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await new Harness().start();
  });
  afterAll(() => h.destroy());

  it('keeps in log search the lines of only the latest N runs of the job, in live models and rebuilds alike', async () => {
    const files = join(h.files, 'files');
    mkdirSync(files, { recursive: true });
    writeFileSync(join(files, 'accounts.csv'), 'id,name\n1,Alice\n');
    const src = await h.connection('few', 'files', 'csv', { path: files });
    const dst = await h.connection('few', 'warehouse', 'sqlite', { path: join(h.files, 'warehouse.db') });
    const { job, run: first } = await h.runJob('few', { name: 'few', source_connection_id: src, destination_connection_id: dst, log_retention_runs: 2, queries: ['REPLICATE [Accounts]'] });
    const runs = [first.id];
    for (let i = 0; i < 2; i++) runs.push((await h.waitForRun(job.id, (await h.post(`/api.rsc/v2/jobs/${job.id}/execute`).expect(202)).body.id)).id);
    const lineCounts = async () => {
      // The last run's own lines reach the read model shortly after it ends.
      for (let tries = 0; tries < 200; tries++) {
        const counts = await Promise.all(runs.map(async (id) => (await h.get(`/v1/runs/${id}/logs`).expect(200)).body.lines.length as number));
        if (counts[2] > 0 && counts[0] === 0) return counts;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('the oldest run kept its lines');
    };
    const live = await lineCounts();
    expect(live[0]).toBe(0);
    expect(live[1]).toBeGreaterThan(0);
    expect(live[2]).toBe(live[1]);
    expect((await h.get(`/v1/logs?job=${job.id}&${EVER}`).expect(200)).body.lines.every((l: Line) => l.run_id !== runs[0])).toBe(true);
    const runner = h.app.get(ProjectionRunner);
    await runner.rebuild(runner.projections.find((p) => p.name === 'logs')!);
    expect(await lineCounts()).toEqual(live);
    // The events keep every line.
    expect((await h.events(`run-${runs[0]}`)).filter((e) => e.type === 'RunLogged').length).toBe(live[1]);
  });
});
