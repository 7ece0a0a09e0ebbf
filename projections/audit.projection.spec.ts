import { type DomainEvent, type RecordedEvent, sortablePosition } from '../src/core/events.js';
import { toNewEvent } from '../src/core/write-path.js';
import type { SqliteEventStore } from '../src/infrastructure/sqlite/sqlite-event-store.js';
import type { SqliteReadStore } from '../src/infrastructure/sqlite/sqlite-read-store.js';
import { type EmbeddedStores, openEmbeddedStores } from '../test/support/embedded-stores.js';
import { AUDIT, type AuditEntryDoc } from '../src/audit/audit.read-model.js';
import { DEFAULT_SCHEDULE, DEFAULT_SETTINGS } from '../src/jobs/job.model.js';
import { auditProjection } from './audit.projection.js';
import { collectionsOf, ProjectionTx } from './projection.js';
import { StreamStates } from './stream-states.js';

let n = 0;
const ctx = { actor: 'user:ada', correlationId: 'c', commandId: 'cmd', clock: () => new Date('2026-01-01T00:00:00Z') };

describe('the audit projection', () => {
  let stores: EmbeddedStores;
  let events: SqliteEventStore;
  let store: SqliteReadStore;

  beforeEach(async () => {
    stores = openEmbeddedStores('sluice-audit-');
    ({ events, reads: store } = stores);
    for (const [name, indexes] of Object.entries(collectionsOf(auditProjection))) await store.ensureCollection(name, indexes);
  });
  afterEach(() => stores.close());

  /** Appends the events to a stream and answers them as the log recorded them. */
  async function append(stream: string, domain: Array<[string, object]>): Promise<RecordedEvent[]> {
    const before = (await events.readStream(stream)).length;
    await events.append(stream, domain.map(([type, data]) => toNewEvent({ type, data } as DomainEvent, { ...ctx, commandId: `cmd-${n++}` }, '0')), before === 0 ? 'no_stream' : before - 1);
    return (await events.readStream(stream)).slice(before);
  }

  /** Applies events in one batch, with the streams' states of `streams` (a new one: as after a restart), and writes them. */
  async function apply(batch: RecordedEvent[], streams = new StreamStates(events)) {
    const tx = new ProjectionTx(store, auditProjection, { streams });
    for (const e of batch) await tx.apply(e);
    const writes = tx.writes();
    await store.write(writes);
    return writes;
  }

  /** The entry an event made: entries are kept by log position. */
  const entryOf = (event: RecordedEvent) => store.get<AuditEntryDoc>(AUDIT, sortablePosition(event.position));

  const created = ['JobCreated', { jobId: 'j', workspaceId: 'w', name: 'n', type: 'Standard', sourceConnectionId: null, destinationConnectionId: null, schedule: DEFAULT_SCHEDULE, settings: DEFAULT_SETTINGS }] as [string, object];

  it('tells what a job event changed from the job\'s stream, also when it has not seen the job since a restart', async () => {
    await apply(await append('job-j', [created]));
    const [renamed] = await append('job-j', [['JobUpdated', { jobId: 'j', changes: { name: 'renamed' } }]]);
    await apply([renamed]);
    expect((await entryOf(renamed))?.changes).toEqual({ name: { from: 'n', to: 'renamed' } });
  });

  it('writes only its entry for a change to one task of a job of many tasks', async () => {
    const added = Array.from({ length: 300 }, (_, i) => ['TaskAdded', { jobId: 'j', taskId: `t${i}`, query: `REPLICATE [t${i}]`, isActive: true, index: i }] as [string, object]);
    const streams = new StreamStates(events);
    await apply(await append('job-j', [created, ...added]), streams);
    const [updated] = await append('job-j', [['TaskUpdated', { jobId: 'j', taskId: 't150', isActive: false }]]);
    const writes = await apply([updated], streams);
    expect(writes.map((w) => w.collection)).toEqual([AUDIT]);
    expect((await entryOf(updated))).toMatchObject({ task: { id: 't150', index: 150 }, changes: { isActive: { from: true, to: false } } });
  });

  it("counts each task's rows once, by its last result, when a step that completed is then failed", async () => {
    await apply(await append('job-j', [created]));
    await apply(
      await append('run-r', [
        ['RunQueued', { runId: 'r', jobId: 'j', trigger: 'manual', tasks: [] }],
        ['StepCompleted', { runId: 'r', taskId: 't', rowsRead: 5, rowsWritten: 5, watermark: null, durationMs: 1 }],
        ['StepFailed', { runId: 'r', taskId: 't', error: 'log failed', rowsRead: 5, rowsWritten: 5, durationMs: 1 }],
      ]),
    );
    const [finished] = await append('run-r', [['RunFinished', { runId: 'r', status: 'failed', durationMs: 3 }]]);
    await apply([finished]);
    expect((await entryOf(finished))?.run).toMatchObject({ rowsRead: 5, rowsWritten: 5 });
  });
});
