import type { RecordedEvent } from '../src/core/events.js';
import type { RunEvent } from '../src/runs/run.decider.js';
import { type RunDoc, RUNS, type StepDoc } from '../src/runs/runs.read-model.js';
import type { Projection, ProjectionTx } from './projection.js';


export const runsProjection: Projection = {
  name: 'runs',
  collections: { [RUNS]: [{ fields: ['jobId', 'queuedAt'] }, { fields: ['status', 'queuedAt'] }, { fields: ['number'] }, { fields: ['jobId', 'number'] }, { fields: ['workspaceId', 'status', 'queuedAt'] }] },
  async apply(recorded: RecordedEvent, tx: ProjectionTx) {
    if (!recorded.stream.startsWith('run-')) return;
    const event = recorded as unknown as RunEvent & RecordedEvent;
    const at = recorded.metadata.occurredAt;
    const runId = event.data.runId;
    const change = (f: (run: RunDoc) => RunDoc) => tx.update<RunDoc>(RUNS, runId, (run) => ({ ...f(run), version: recorded.revision }));
    const step = (taskId: string, f: (s: StepDoc) => StepDoc) =>
      change((run) => ({ ...run, steps: run.steps.map((s) => (s.taskId === taskId ? f(s) : s)) }));
    switch (event.type) {
      case 'RunQueued': {
        const p = event.data;
        await tx.put(RUNS, {
          id: p.runId,
          // The log position of RunQueued: unique across instances, increasing, never reused, the same in every rebuild.
          number: Number(recorded.position),
          jobId: p.jobId,
          workspaceId: p.workspaceId,
          jobName: p.jobName,
          status: 'queued',
          trigger: p.trigger,
          requestedBy: p.requestedBy,
          slot: p.slot ?? null,
          owner: null,
          queuedAt: at,
          startedAt: null,
          finishedAt: null,
          durationMs: null,
          rowsRead: 0,
          rowsWritten: 0,
          error: null,
          file: p.file ?? null,
          cancelledBy: null,
          steps: p.tasks.map((t) => ({
            taskId: t.taskId,
            query: t.query,
            incrementalColumn: t.incrementalColumn ?? null,
            status: 'pending',
            source: null,
            destination: null,
            rowsRead: 0,
            rowsWritten: 0,
            watermarkBefore: t.watermark,
            watermark: t.watermark,
            error: null,
            startedAt: null,
            finishedAt: null,
            durationMs: null,
            metrics: null,
          })),
          version: recorded.revision,
        } satisfies RunDoc);
        return;
      }
      case 'RunStarted':
        return change((run) => ({ ...run, status: 'running', startedAt: at, owner: event.data.owner }));
      case 'StepStarted':
        return step(event.data.taskId, (s) => ({ ...s, status: 'running', source: event.data.source, destination: event.data.destination, startedAt: at }));
      case 'StepProgress': {
        const { runId: _r, taskId, ...metrics } = event.data;
        return step(taskId, (s) => ({ ...s, rowsWritten: metrics.rowsProcessed, metrics: { ...metrics, at } }));
      }
      case 'StepCompleted':
      case 'StepCancelled':
      case 'StepFailed': {
        const d = event.data;
        await step(d.taskId, (s) => ({
          ...s,
          status: event.type === 'StepFailed' ? 'failed' : event.type === 'StepCancelled' ? 'cancelled' : 'succeeded',
          rowsRead: d.rowsRead,
          rowsWritten: d.rowsWritten,
          watermark: event.type === 'StepFailed' ? s.watermark : event.data.watermark,
          error: event.type === 'StepFailed' ? event.data.error : null,
          finishedAt: at,
          durationMs: d.durationMs,
        }));
        return change((run) => ({
          ...run,
          rowsRead: run.steps.reduce((n, s) => n + s.rowsRead, 0),
          rowsWritten: run.steps.reduce((n, s) => n + s.rowsWritten, 0),
        }));
      }
      case 'RunCancelRequested':
        return change((run) => ({ ...run, status: 'cancelling', cancelledBy: recorded.metadata.actor }));
      case 'RunFinished': {
        const { status, error, durationMs } = event.data;
        return change((run) => ({
          ...run,
          status,
          // A queued run is cancelled by its RunFinished; a running one was asked by RunCancelRequested.
          cancelledBy: status === 'cancelled' ? (run.cancelledBy ?? recorded.metadata.actor) : null,
          error: error ?? null,
          finishedAt: at,
          durationMs,
          steps: run.steps.map((s) =>
            s.status === 'running' ? { ...s, status: status === 'cancelled' ? 'cancelled' : 'failed', finishedAt: at } : s.status === 'pending' ? { ...s, status: 'skipped' } : s,
          ),
        }));
      }
      case 'RunLogged':
        return;
    }
  },
};
