import type { RecordedEvent } from '../src/core/events.js';
import type { JobEvent } from '../src/jobs/job.decider.js';
import { moveItem } from '../src/jobs/job.decider.js';
import { type JobDoc, JOBS } from '../src/jobs/jobs.read-model.js';
import type { Projection, ProjectionTx } from './projection.js';


export const jobsProjection: Projection = {
  name: 'jobs',
  collections: { [JOBS]: [{ fields: ['workspaceId', 'createdAt'] }, { fields: ['workspaceId', 'name'] }] },
  async apply(recorded: RecordedEvent, tx: ProjectionTx) {
    if (!recorded.stream.startsWith('job-')) return;
    const event = recorded as unknown as JobEvent & RecordedEvent;
    const at = recorded.metadata.occurredAt;
    const touch = (doc: JobDoc): JobDoc => ({ ...doc, updatedAt: at, version: recorded.revision });
    // Runs move the stream's revision but are not edits of the job: updatedAt stays.
    const track = (doc: JobDoc): JobDoc => ({ ...doc, version: recorded.revision });
    const { jobId } = event.data;
    switch (event.type) {
      case 'JobCreated': {
        const { jobId: id, ...definition } = event.data;
        tx.put(JOBS, {
          id,
          ...definition,
          tasks: [],
          createdAt: at,
          createdBy: recorded.metadata.actor,
          updatedAt: at,
          version: recorded.revision,
          activeRunId: null,
          activeRunSince: null,
          lastRun: null,
          lastSlot: null,
          scheduleSince: at,
        } satisfies JobDoc);
        return;
      }
      case 'JobUpdated': {
        const { schedule, settings, ...rest } = event.data.changes;
        return tx.update<JobDoc>(JOBS, jobId, (doc) =>
          touch({
            ...doc,
            ...rest,
            schedule: { ...doc.schedule, ...schedule },
            settings: { ...doc.settings, ...settings },
            scheduleSince: schedule ? at : doc.scheduleSince,
          }),
        );
      }
      case 'JobDeleted':
        return tx.delete(JOBS, jobId);
      case 'TaskAdded': {
        const { taskId, query, isActive, incrementalColumn, index } = event.data;
        return tx.update<JobDoc>(JOBS, jobId, (doc) => {
          const tasks = [...doc.tasks];
          tasks.splice(index, 0, { id: taskId, query, isActive, incrementalColumn: incrementalColumn ?? null });
          return touch({ ...doc, tasks });
        });
      }
      case 'TaskUpdated': {
        const { taskId, jobId: _job, ...changed } = event.data;
        return tx.update<JobDoc>(JOBS, jobId, (doc) => touch({ ...doc, tasks: doc.tasks.map((t) => (t.id === taskId ? { ...t, ...changed } : t)) }));
      }
      case 'TaskMoved':
        return tx.update<JobDoc>(JOBS, jobId, (doc) => touch({ ...doc, tasks: moveItem(doc.tasks, event.data.fromIndex, event.data.toIndex) }));
      case 'TaskDeleted':
        return tx.update<JobDoc>(JOBS, jobId, (doc) => touch({ ...doc, tasks: doc.tasks.filter((t) => t.id !== event.data.taskId) }));
      case 'RunRequested':
        return tx.update<JobDoc>(JOBS, jobId, (doc) => track({ ...doc, activeRunId: event.data.runId, activeRunSince: at, lastSlot: event.data.slot ?? doc.lastSlot }));
      case 'ScheduledRunSkipped':
        return tx.update<JobDoc>(JOBS, jobId, (doc) => track({ ...doc, lastSlot: event.data.slot }));
      case 'RunEnded': {
        const { runId, status } = event.data;
        return tx.update<JobDoc>(JOBS, jobId, (doc) => track({ ...doc, activeRunId: null, activeRunSince: null, lastRun: { id: runId, status, endedAt: at } }));
      }
    }
  },
};
