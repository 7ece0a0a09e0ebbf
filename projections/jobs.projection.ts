import type { RecordedEvent } from '../src/core/events.js';
import type { JobEvent } from '../src/jobs/job.decider.js';
import { JOB_TASKS, type JobRecord, JOBS } from '../src/jobs/jobs.read-model.js';
import { foldJobEvent } from './job-task-docs.js';
import type { Projection, ProjectionTx } from './projection.js';

/** Events that change what the job is; the others only track its runs and leave `updatedAt` alone. */
const EDITS = new Set<JobEvent['type']>(['JobUpdated', 'TaskAdded', 'TaskUpdated', 'TaskMoved', 'TaskDeleted']);

/**
 * The job decider's own fold, plus the times, author and run summary only readers need. A job's tasks are
 * documents of their own (see foldJobEvent), so an event of a job with thousands of tasks rewrites a small document.
 */
export const jobsProjection: Projection = {
  name: 'jobs',
  // 2: tasks moved out of the job document into job_tasks.
  version: 2,
  // Tasks first: see foldJobEvent.
  collections: {
    [JOB_TASKS]: [{ fields: ['jobId', 'index'] }],
    [JOBS]: [{ fields: ['workspaceId', 'createdAt'] }, { fields: ['workspaceId', 'name'] }],
  },
  async apply(recorded: RecordedEvent, tx: ProjectionTx) {
    if (!recorded.stream.startsWith('job-')) return;
    const event = recorded as unknown as JobEvent & RecordedEvent;
    const at = recorded.metadata.occurredAt;
    const { jobId } = event.data;
    const job = event.type === 'JobCreated' ? null : await tx.get<JobRecord>(JOBS, jobId);
    const fold = await foldJobEvent(tx, JOB_TASKS, job, event);
    if (event.type === 'JobDeleted') return tx.delete(JOBS, jobId);
    if (!fold) return;
    if (event.type === 'JobCreated') {
      return tx.put(JOBS, {
        ...fold.job,
        id: jobId,
        createdAt: at,
        createdBy: recorded.metadata.actor,
        updatedAt: at,
        version: recorded.revision,
        activeRunSince: null,
        lastRun: null,
        scheduleSince: at,
      } satisfies JobRecord);
    }
    return tx.update<JobRecord>(JOBS, jobId, (doc) => ({ ...doc, ...fold.job, ...readerFields(event, doc, at), version: recorded.revision }));
  },
};

function readerFields(event: JobEvent, doc: JobRecord, at: string): Partial<JobRecord> {
  const edited = EDITS.has(event.type) ? { updatedAt: at } : {};
  switch (event.type) {
    case 'JobUpdated':
      return { ...edited, scheduleSince: event.data.changes.schedule ? at : doc.scheduleSince };
    case 'RunRequested':
      return event.data.waiting ? {} : { activeRunSince: at };
    case 'RunEnded': {
      const lastRun = { id: event.data.runId, status: event.data.status, endedAt: at };
      // The active run's end makes the first waiting run (if any) active from now; a waiting run's end changes neither.
      if (event.data.runId !== doc.activeRunId) return { lastRun };
      return { activeRunSince: doc.waitingRunIds?.length ? at : null, lastRun };
    }
    default:
      return edited;
  }
}
