import type { RunDoc, StepDoc } from '../../runs/runs.read-model.js';
import { auditIdOf, flowStatus, toEtlworksTasks, typeParam } from './etlworks.mapping.js';

const NOW = Date.parse('2026-11-23T08:00:04.000Z');

const step = (changes: Partial<StepDoc>): StepDoc => ({
  taskId: 't1',
  query: 'REPLICATE [orders]',
  status: 'running',
  source: 'orders',
  destination: 'orders',
  rowsRead: 0,
  rowsWritten: 0,
  watermarkBefore: 100,
  watermark: 100,
  error: null,
  startedAt: '2026-11-23T08:00:00.130Z',
  finishedAt: null,
  durationMs: null,
  metrics: { rowsProcessed: 1200, sinceLastCheck: 400, latencyMs: { min: 1.5, max: 9.25, avg: 3.1 }, lastId: 1300, at: '2026-11-23T08:00:03.000Z' },
  ...changes,
});

const run = (steps: StepDoc[]) =>
  ({ id: 'r1', number: 80610, jobName: 'nightly', workspaceId: 'sales', requestedBy: 'user:ada', status: 'running', startedAt: '2026-11-23T08:00:00.100Z', steps }) as RunDoc;

describe('Etlworks task mapping', () => {
  it('shows a running step as an extract and a load with every field of the seed, live', () => {
    const [extract, load] = toEtlworksTasks(run([step({})]), NOW);
    expect(extract).toEqual({
      requestId: 'r1/t1/extract',
      owner: 'user:ada',
      name: 'nightly: extract [orders]',
      started: Date.parse('2026-11-23T08:00:00.130Z'),
      duration: 3870,
      code: 'Extracted 1200 records from [orders], 400 since the last check; ms per batch: min 1.5, avg 3.1, max 9.25; last id 1300',
      type: 'extract',
      tenant: 'sales',
      language: null,
      latency: 3.1,
      maxLatency: 9.25,
      minLatency: 1.5,
      avgLatency: 3.1,
      recordsProcessed: 1200,
      recordsProcessedSinceLastCheck: 400,
      lastCheck: Date.parse('2026-11-23T08:00:03.000Z'),
      lastTimeRecordsReceivedDate: Date.parse('2026-11-23T08:00:03.000Z'),
    });
    expect(load).toMatchObject({ requestId: 'r1/t1/load', type: 'load', name: 'nightly: load [orders]', code: expect.stringMatching(/^Loaded 1200 records into \[orders\]/) });
  });

  it('adds an hwm task for a step its run planned as incremental, with the watermark reached so far', () => {
    const tasks = toEtlworksTasks(run([step({ incrementalColumn: 'id' })]), NOW);
    expect(tasks.map((t) => t.type)).toEqual(['extract', 'load', 'hwm']);
    expect(tasks[2]).toMatchObject({ name: 'nightly: high watermark of [orders].id', code: 'High watermark id = 1300 (100 when the run started)' });
    const fresh = toEtlworksTasks(run([step({ incrementalColumn: 'id', metrics: null, watermarkBefore: null })]), NOW)[2];
    expect(fresh.code).toBe('High watermark id = null (null when the run started)');
    expect(toEtlworksTasks(run([step({ incrementalColumn: null })]), NOW).map((t) => t.type)).toEqual(['extract', 'load']);
  });

  it('leaves out steps that are not running, and says when no batch has been recorded yet', () => {
    const steps = [step({ taskId: 'done', status: 'succeeded' }), step({ taskId: 'next', status: 'pending' }), step({ metrics: null })];
    const tasks = toEtlworksTasks(run(steps), NOW);
    expect(tasks.map((t) => t.requestId)).toEqual(['r1/t1/extract', 'r1/t1/load']);
    expect(tasks[0]).toMatchObject({ code: 'Extracted 0 records from [orders]; no batch yet', recordsProcessed: 0, latency: null, lastCheck: null, lastTimeRecordsReceivedDate: null });
  });

  it("maps run statuses to Etlworks' flow status codes", () => {
    expect(['queued', 'running', 'cancelling', 'cancelled', 'succeeded', 'failed'].map((s) => flowStatus(s as RunDoc['status']))).toEqual([0, 1, 1, 2, 4, 5]);
  });

  it('reads type and audit ids strictly', () => {
    expect(typeParam({})).toBeUndefined();
    expect(typeParam({ type: '' })).toBeUndefined();
    expect(typeParam({ type: 'hwm', Authorization: 'Bearer x' })).toBe('hwm');
    expect(() => typeParam({ type: 'cdc' })).toThrow('type must be one of stream, extract, load, task, hwm, not "cdc"');
    expect(() => typeParam({ type: ['load', 'hwm'] })).toThrow(/type must be one of/);
    expect(() => typeParam({ kind: 'load' })).toThrow('Unknown query parameter "kind"; this route takes type');
    expect(auditIdOf('80610', 'audit_id')).toBe(80610);
    for (const bad of ['-1', '1.5', 'abc', '', '0', '007', '1'.repeat(16)]) expect(() => auditIdOf(bad, 'audit_id')).toThrow(/audit_id must be a whole number/);
  });
});
