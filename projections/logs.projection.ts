import { type RecordedEvent, sortablePosition } from '../src/core/events.js';
import type { RunEvent } from '../src/runs/run.decider.js';
import { type LogDoc, LOGS, LOG_LEVELS } from '../src/runs/runs.read-model.js';
import type { Projection, ProjectionTx } from './projection.js';


export const logsProjection: Projection = {
  name: 'logs',
  collections: { [LOGS]: [{ fields: ['runId', 'at'] }, { fields: ['jobId', 'at'] }, { fields: ['severity', 'at'] }] },
  async apply(recorded: RecordedEvent, tx: ProjectionTx) {
    const event = recorded as unknown as RunEvent & RecordedEvent;
    if (event.type !== 'RunLogged') return;
    const { runId, jobId, level, message, taskId } = event.data;
    return tx.put(LOGS, {
      id: recorded.id,
      runId,
      jobId,
      taskId: taskId ?? null,
      at: recorded.metadata.occurredAt,
      level,
      severity: LOG_LEVELS.indexOf(level),
      message,
      position: sortablePosition(recorded.position),
    } satisfies LogDoc);
  },
};
