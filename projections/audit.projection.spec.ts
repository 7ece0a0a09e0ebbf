import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '../src/core/events.js';
import { SqliteReadStore } from '../src/infrastructure/sqlite/sqlite-read-store.js';
import { AUDIT, type AuditEntryDoc } from '../src/audit/audit.read-model.js';
import { DEFAULT_SCHEDULE, DEFAULT_SETTINGS } from '../src/jobs/job.model.js';
import { auditProjection } from './audit.projection.js';
import { collectionsOf, ProjectionTx } from './projection.js';

let position = 0;
const recorded = (stream: string, type: string, data: object): RecordedEvent => ({
  id: `e${++position}`,
  stream,
  revision: position,
  position: String(position),
  type,
  data,
  metadata: { actor: 'user:ada', correlationId: 'c', occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, position)).toISOString(), schemaVersion: 1 },
});

describe('the audit projection', () => {
  let dir: string;
  let store: SqliteReadStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-audit-'));
    store = new SqliteReadStore(join(dir, 'read.db'));
    for (const [name, indexes] of Object.entries(collectionsOf(auditProjection))) await store.ensureCollection(name, indexes);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Applies events in one batch and writes what `keep` lets through (all of it, or the part a failed store got). */
  async function apply(events: RecordedEvent[], keep: (collection: string) => boolean = () => true) {
    const tx = new ProjectionTx(store, auditProjection);
    for (const e of events) await tx.apply(e);
    await store.write(tx.writes().filter((w) => keep(w.collection)));
  }

  const created = recorded('job-j', 'JobCreated', { jobId: 'j', workspaceId: 'w', name: 'n', type: 'Standard', sourceConnectionId: null, destinationConnectionId: null, schedule: DEFAULT_SCHEDULE, settings: DEFAULT_SETTINGS });

  it('tells the right change when a batch a store wrote only in part is applied again', async () => {
    await apply([created]);
    const renamed = recorded('job-j', 'JobUpdated', { jobId: 'j', changes: { name: 'renamed' } });
    // The store wrote the batch's first collection and failed on the rest (no transaction): then it is re-delivered.
    const firstCollection = await (async () => {
      const tx = new ProjectionTx(store, auditProjection);
      await tx.apply(renamed);
      return tx.writes()[0].collection;
    })();
    await apply([renamed], (collection) => collection === firstCollection);
    await apply([renamed]);
    const entry = await store.get<AuditEntryDoc>(AUDIT, renamed.id);
    expect(entry?.changes).toEqual({ name: { from: 'n', to: 'renamed' } });
  });

  it("counts each task's rows once, by its last result, when a step that completed is then failed", async () => {
    await apply([created]);
    const run = 'run-r';
    await apply([
      recorded(run, 'RunQueued', { runId: 'r', jobId: 'j', trigger: 'manual', tasks: [] }),
      recorded(run, 'StepCompleted', { runId: 'r', taskId: 't', rowsRead: 5, rowsWritten: 5, watermark: null, durationMs: 1 }),
      recorded(run, 'StepFailed', { runId: 'r', taskId: 't', error: 'log failed', rowsRead: 5, rowsWritten: 5, durationMs: 1 }),
    ]);
    const finished = recorded(run, 'RunFinished', { runId: 'r', status: 'failed', durationMs: 3 });
    await apply([finished]);
    expect((await store.get<AuditEntryDoc>(AUDIT, finished.id))?.run).toMatchObject({ rowsRead: 5, rowsWritten: 5 });
  });
});
