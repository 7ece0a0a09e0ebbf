import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Harness } from './app.harness.js';

const V2 = '/api.rsc/v2';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cron schedules (e2e)', () => {
  it('fires each slot once although two instances share the data dir, and stops when disabled', async () => {
    const a = await new Harness().start();
    const b = await new Harness(a.dataDir).start();
    try {
      const dir = join(a.files, 'in');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'ticks.csv'), 'id\n1\n');
      const from = await a.connection('cron', 'in', 'csv', { path: dir });
      const into = await a.connection('cron', 'out', 'sqlite', { path: join(a.files, 'out.db') });
      const job = (
        await a
          .post(`${V2}/workspaces/cron/jobs`, {
            name: 'every-second',
            source_connection_id: from,
            destination_connection_id: into,
            truncate_table_data: true,
            schedule: { enabled: true, cron: '* * * * * *' },
            queries: ['REPLICATE [ticks]'],
          })
          .expect(201)
      ).body;
      const next = Date.parse(job.next_run_at);
      expect(next).toBeGreaterThan(Date.now() - 1000);
      expect(next).toBeLessThanOrEqual(Date.now() + 1000);

      await sleep(4500);
      await a.put(`${V2}/jobs/${job.id}`, { schedule: { enabled: false } }).expect((res) => expect([200, 409]).toContain(res.status));
      // a run may be active while disabling: retry until the change lands
      for (let i = 0; i < 50 && (await a.get(`${V2}/jobs/${job.id}`)).body.schedule.enabled; i++) {
        await sleep(100);
        await a.put(`${V2}/jobs/${job.id}`, { schedule: { enabled: false } });
      }
      expect((await a.get(`${V2}/jobs/${job.id}`)).body).toMatchObject({ schedule: { enabled: false }, next_run_at: null });

      const events = await a.events(`job-${job.id}`);
      const slots = events.filter((e) => e.type === 'RunRequested' || e.type === 'ScheduledRunSkipped').map((e) => e.data.slot as string);
      expect(slots.length).toBeGreaterThanOrEqual(2);
      expect(new Set(slots).size).toBe(slots.length);
      const history = (await b.get(`${V2}/jobs/${job.id}/history`)).body.value as Array<{ trigger: string; slot: string; status: string }>;
      expect(history.length).toBe(events.filter((e) => e.type === 'RunRequested').length);
      expect(history.every((r) => r.trigger === 'schedule')).toBe(true);
      expect(new Set(history.map((r) => r.slot)).size).toBe(history.length);

      await sleep(1500);
      const after = (await b.get(`${V2}/jobs/${job.id}/history`)).body.value.length;
      await sleep(1500);
      expect((await b.get(`${V2}/jobs/${job.id}/history`)).body.value.length).toBe(after);
    } finally {
      await b.stop();
      await a.destroy();
    }
  });

  it('skips the slots of a job that cannot run, saying why, and keeps firing the others', async () => {
    const h = await new Harness().start({ SLUICE_WORKERS: '0' });
    try {
      const from = await h.connection('cron3', 'from');
      const lacking = (await h.post(`${V2}/workspaces/cron3/jobs`, { name: 'no-destination', source_connection_id: from, schedule: { enabled: true, cron: '* * * * * *' }, queries: ['REPLICATE [A]'] }).expect(201)).body;
      await sleep(2500);
      const skipped = (await h.events(`job-${lacking.id}`)).filter((e) => e.type === 'ScheduledRunSkipped');
      expect(skipped.length).toBeGreaterThanOrEqual(1);
      expect(skipped[0].data.missing).toMatch(/no destination connection/);
      expect(new Set(skipped.map((e) => e.data.slot)).size).toBe(skipped.length);
      expect((await h.get(`${V2}/jobs/${lacking.id}/history`)).body.value).toEqual([]);
      await h.put(`${V2}/jobs/${lacking.id}`, { destination_connection_id: await h.connection('cron3', 'into') }).expect(200);
      await sleep(2000);
      expect((await h.get(`${V2}/jobs/${lacking.id}/history`)).body.value.length).toBe(1);
    } finally {
      await h.destroy();
    }
  });

  it('validates the cron when a schedule is enabled or changed', async () => {
    const h = await new Harness().start();
    try {
      const bad = await h.post(`${V2}/workspaces/cron2/jobs`, { name: 'x', schedule: { enabled: true, cron: '0 0 31 2 * * *' } }).expect(400);
      expect(bad.body.error).toMatchObject({ code: 'JOB.CRON_INVALID', field: 'schedule.cron' });
      const job = (await h.post(`${V2}/workspaces/cron2/jobs`, { name: 'quartz', schedule: { enabled: true, cron: '0 0 12 ? * MON-FRI', timezone: 'America/New_York' } }).expect(201)).body;
      const next = new Date(job.next_run_at);
      expect(next.getUTCMinutes()).toBe(0);
      expect([16, 17]).toContain(next.getUTCHours());
      expect([1, 2, 3, 4, 5]).toContain(next.getUTCDay());
    } finally {
      await h.destroy();
    }
  });
});
