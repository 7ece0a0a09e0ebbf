import type { RecordedEvent } from '../src/core/events.js';
import { type JobEvent, jobDecider } from '../src/jobs/job.decider.js';
import type { Task } from '../src/jobs/job.model.js';
import { JOB_TASKS, type JobRecord, JOBS, type JobTaskDoc, jobTaskId } from '../src/jobs/jobs.read-model.js';
import type { Projection, ProjectionTx } from './projection.js';

/** Events that change what the job is; the others only track its runs and leave `updatedAt` alone. */
const EDITS = new Set<JobEvent['type']>(['JobUpdated', 'TaskAdded', 'TaskUpdated', 'TaskMoved', 'TaskDeleted']);

/**
 * The job decider's own fold, plus the times, author and run summary only readers need. A job's tasks are
 * documents of their own, each with its index: adding one at the end or changing one writes that task and the
 * (small) job document whatever the number of tasks; inserting, moving or deleting renumbers those after it.
 */
export const jobsProjection: Projection = {
  name: 'jobs',
  // Tasks first: the job's taskCount tells whether an added task moves others, so it must never be written ahead of them.
  collections: {
    [JOB_TASKS]: [{ fields: ['jobId', 'index'] }],
    [JOBS]: [{ fields: ['workspaceId', 'createdAt'] }, { fields: ['workspaceId', 'name'] }],
  },
  async apply(recorded: RecordedEvent, tx: ProjectionTx) {
    if (!recorded.stream.startsWith('job-')) return;
    const event = recorded as unknown as JobEvent & RecordedEvent;
    const at = recorded.metadata.occurredAt;
    const { jobId } = event.data;
    if (event.type === 'JobDeleted') {
      await tx.deleteWhere(JOB_TASKS, 'jobId', [jobId]);
      return tx.delete(JOBS, jobId);
    }
    if (event.type === 'JobCreated') {
      const { tasks: _none, ...state } = jobDecider.evolve(jobDecider.initialState, event) as Extract<ReturnType<typeof jobDecider.evolve>, { tasks: Task[] }>;
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
        taskCount: 0,
      } satisfies JobRecord);
    }
    const job = await tx.get<JobRecord>(JOBS, jobId);
    if (!job) return;
    const task = 'taskId' in event.data ? await tx.get<JobTaskDoc>(JOB_TASKS, jobTaskId(jobId, event.data.taskId)) : null;
    // The decider's fold of the job holding only the task the event names (none for a new one): what comes out
    // as `tasks` is that task's new value, the rest is the job's. The other tasks are not its business here.
    const { tasks: [changed], ...next } = jobDecider.evolve({ ...job, tasks: task ? [task.task] : [] }, event) as JobRecord & { tasks: Task[] };
    await changeTasks(tx, event, job, changed);
    const count = { TaskAdded: 1, TaskDeleted: -1 }[event.type as string] ?? 0;
    return tx.update<JobRecord>(JOBS, jobId, (doc) => ({ ...doc, ...next, ...readerFields(event, doc, at), version: recorded.revision, taskCount: doc.taskCount + count }));
  },
};

async function changeTasks(tx: ProjectionTx, event: JobEvent, job: JobRecord, changed: Task | undefined): Promise<void> {
  const { jobId } = event.data;
  switch (event.type) {
    case 'TaskAdded': {
      const { index } = event.data;
      if (index < job.taskCount) await renumber(tx, jobId, { from: index }, 1);
      return tx.put(JOB_TASKS, { id: jobTaskId(jobId, event.data.taskId), jobId, index, task: changed! } satisfies JobTaskDoc);
    }
    case 'TaskUpdated':
      return tx.update<JobTaskDoc>(JOB_TASKS, jobTaskId(jobId, event.data.taskId), (doc) => ({ ...doc, task: changed! }));
    case 'TaskMoved': {
      const { taskId, fromIndex, toIndex } = event.data;
      if (fromIndex < toIndex) await renumber(tx, jobId, { from: fromIndex + 1, to: toIndex + 1 }, -1);
      else await renumber(tx, jobId, { from: toIndex, to: fromIndex }, 1);
      return tx.update<JobTaskDoc>(JOB_TASKS, jobTaskId(jobId, taskId), (doc) => ({ ...doc, index: toIndex }));
    }
    case 'TaskDeleted':
      await tx.delete(JOB_TASKS, jobTaskId(jobId, event.data.taskId));
      return renumber(tx, jobId, { from: event.data.index + 1 }, -1);
    default:
      return;
  }
}

/** Moves the tasks at indexes `from` up to `to` (exclusive; absent: the end) by `by` places. */
async function renumber(tx: ProjectionTx, jobId: string, { from, to }: { from: number; to?: number }, by: number): Promise<void> {
  const index = to === undefined ? { $gte: from } : { $gte: from, $lt: to };
  for (const { id } of await tx.find<JobTaskDoc>(JOB_TASKS, { jobId, index })) {
    await tx.update<JobTaskDoc>(JOB_TASKS, id, (doc) => ({ ...doc, index: doc.index + by }));
  }
}

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
