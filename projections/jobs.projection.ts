import type { RecordedEvent } from '../src/core/events.js';
import { type JobEvent, jobDecider } from '../src/jobs/job.decider.js';
import { type JobDoc, JOBS } from '../src/jobs/jobs.read-model.js';
import type { Projection, ProjectionTx } from './projection.js';

/** Events that change what the job is; the others only track its runs and leave `updatedAt` alone. */
const EDITS = new Set<JobEvent['type']>(['JobUpdated', 'TaskAdded', 'TaskUpdated', 'TaskMoved', 'TaskDeleted']);

/** The job decider's own fold, plus the times, author and run summary only readers need. */
export const jobsProjection: Projection = {
  name: 'jobs',
  collections: { [JOBS]: [{ fields: ['workspaceId', 'createdAt'] }, { fields: ['workspaceId', 'name'] }] },
  async apply(recorded: RecordedEvent, tx: ProjectionTx) {
    if (!recorded.stream.startsWith('job-')) return;
    const event = recorded as unknown as JobEvent & RecordedEvent;
    const at = recorded.metadata.occurredAt;
    const { jobId } = event.data;
    if (event.type === 'JobDeleted') return tx.delete(JOBS, jobId);
    if (event.type === 'JobCreated') {
      const state = jobDecider.evolve(jobDecider.initialState, event);
      if (state.status === 'none') return;
      return tx.put(JOBS, {
        ...state,
        id: jobId,
        createdAt: at,
        createdBy: recorded.metadata.actor,
        updatedAt: at,
        version: recorded.revision,
        activeRunSince: null,
        lastRun: null,
        scheduleSince: at,
      } satisfies JobDoc);
    }
    return tx.update<JobDoc>(JOBS, jobId, (doc) => ({
      ...doc,
      ...(jobDecider.evolve(doc, event) as JobDoc),
      ...readerFields(event, doc, at),
      version: recorded.revision,
    }));
  },
};

function readerFields(event: JobEvent, doc: JobDoc, at: string): Partial<JobDoc> {
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
