import { Harness } from './app.harness.js';

const V2 = '/api.rsc/v2';

describe('restart on the same data dir (e2e)', () => {
  it('keeps every job, task and connection, and goes on accepting writes', async () => {
    const first = await new Harness().start();
    const conn = await first.connection('r', 'files');
    const job = (await first.post(`${V2}/workspaces/r/jobs`, { name: 'Durable', source_connection_id: conn, queries: ['REPLICATE [A]', 'REPLICATE [B]'] }).expect(201)).body;
    await first.post(`${V2}/jobs/${job.id}/tasks/${job.tasks[0].id}/move`, { to_index: 1 }).expect(200);
    await first.stop();

    const second = await new Harness(first.dataDir).start();
    try {
      const again = (await second.get(`${V2}/jobs/${job.id}`).expect(200)).body;
      expect(again.tasks.map((t: { query: string }) => t.query)).toEqual(['REPLICATE [B]', 'REPLICATE [A]']);
      expect((await second.get(`${V2}/connections/${conn}`).expect(200)).body.name).toBe('files');
      // the workspace rules survive too
      await second.post(`${V2}/workspaces/r/jobs`, { name: 'durable' }).expect(409);
      await second.delete(`${V2}/connections/${conn}`).expect(409);
      await second.post(`${V2}/jobs/${job.id}/tasks`, { query: 'REPLICATE [C]' }).expect(201);
      expect((await second.get(`${V2}/jobs/${job.id}/tasks`)).body.value).toHaveLength(3);
    } finally {
      await second.destroy();
    }
  });

  it('rebuilds read models lost while it was down from the event log', async () => {
    const first = await new Harness().start();
    const job = (await first.post(`${V2}/workspaces/r2/jobs`, { name: 'Replayed' }).expect(201)).body;
    await first.stop();
    const { rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(first.dataDir, `read-models.db${suffix}`), { force: true });

    const second = await new Harness(first.dataDir).start();
    try {
      let found = 0;
      for (let i = 0; i < 50 && found !== 200; i++) {
        found = (await second.get(`${V2}/jobs/${job.id}`)).status;
        if (found !== 200) await new Promise((r) => setTimeout(r, 50));
      }
      expect(found).toBe(200);
    } finally {
      await second.destroy();
    }
  });
});
