import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../infrastructure/sqlite/sqlite-event-store.js';
import { ChangeJob, ChangeJobHandler } from './jobs.commands.js';

describe('ChangeJob', () => {
  it('stamps the events of one command (a job and its tasks, with a workspace claim) with one time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-jobs-'));
    const store = new SqliteEventStore(join(dir, 'events.db'));
    try {
      let tick = Date.parse('2026-01-01T00:00:00Z');
      const ctx = { actor: 'test', correlationId: 'c', commandId: 'create', clock: () => new Date((tick += 1)) };
      const tasks = ['REPLICATE [a]', 'REPLICATE [b]'].map((query, i) => ({ id: `t${i}`, query, isActive: true }));
      const data = { jobId: 'j', workspaceId: 'w', name: 'Nightly', type: 'Standard' as const, tasks };
      await new ChangeJobHandler(store).execute(new ChangeJob('j', { type: 'CreateJob', data }, ctx));
      const events = await store.readStream('job-j');
      expect(events.map((e) => e.type)).toEqual(['JobCreated', 'TaskAdded', 'TaskAdded']);
      expect(new Set(events.map((e) => e.metadata.occurredAt)).size).toBe(1);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
