import { type JobEvent, type JobState, jobDecider } from '../src/jobs/job.decider.js';
import type { Task } from '../src/jobs/job.model.js';
import { type JobTaskDoc, jobTaskId } from '../src/jobs/jobs.read-model.js';
import type { ProjectionTx } from './projection.js';

/** A job's state as a projection keeps it apart from its tasks, which are documents of their own (JobTaskDoc). */
export type JobWithoutTasks = Omit<Extract<JobState, { status: 'active' | 'deleted' }>, 'tasks'> & { taskCount: number };

/** What one job event did: the job's new state, and the task it names as it was before and is after. */
export interface JobFold<J> {
  job: J;
  before: JobTaskDoc | null;
  after: JobTaskDoc | null;
}

/**
 * Applies a job event to a job kept without its tasks (null before its creation) and to its task documents in
 * `collection`: adding a task at the end or changing one touches that task alone; inserting, moving or deleting
 * one renumbers those after it. The job's `taskCount` tells whether an added task moves others, so a projection
 * declares `collection` before the job's own (see ProjectionTx.writes): the count is never written ahead of them.
 */
export async function foldJobEvent<J extends JobWithoutTasks>(tx: ProjectionTx, collection: string, job: J | null, event: JobEvent): Promise<JobFold<J> | null> {
  const { jobId } = event.data;
  if (event.type === 'JobDeleted') await tx.deleteWhere(collection, 'jobId', [jobId]);
  if (event.type !== 'JobCreated' && !job) return null;
  const before = 'taskId' in event.data ? await tx.get<JobTaskDoc>(collection, jobTaskId(jobId, event.data.taskId)) : null;
  // The decider's own fold of the job holding only the task the event names (none for a new one): what comes
  // out as `tasks` is that task's new value, the rest is the job's. Where the others go is renumber's business.
  const state = event.type === 'JobCreated' ? jobDecider.initialState : { ...job!, tasks: before ? [before.task] : [] };
  const { tasks, ...next } = jobDecider.evolve(state, event) as Extract<JobState, { tasks: Task[] }>;
  const count = event.type === 'JobCreated' || event.type === 'JobDeleted' ? 0 : job!.taskCount + ({ TaskAdded: 1, TaskDeleted: -1 }[event.type as string] ?? 0);
  const after = await changeTasks(tx, collection, event, job?.taskCount ?? 0, before, tasks[0]);
  return { job: { ...next, taskCount: count } as J, before, after };
}

async function changeTasks(tx: ProjectionTx, collection: string, event: JobEvent, taskCount: number, before: JobTaskDoc | null, task: Task | undefined): Promise<JobTaskDoc | null> {
  const { jobId } = event.data;
  switch (event.type) {
    case 'TaskAdded': {
      const { index } = event.data;
      if (index < taskCount) await renumber(tx, collection, jobId, { from: index }, 1);
      const added: JobTaskDoc = { id: jobTaskId(jobId, event.data.taskId), jobId, index, task: task! };
      await tx.put(collection, added);
      return added;
    }
    case 'TaskUpdated': {
      if (!before) return null;
      const updated = { ...before, task: task! };
      await tx.update<JobTaskDoc>(collection, before.id, () => updated);
      return updated;
    }
    case 'TaskMoved': {
      const { fromIndex, toIndex } = event.data;
      if (fromIndex < toIndex) await renumber(tx, collection, jobId, { from: fromIndex + 1, to: toIndex + 1 }, -1);
      else await renumber(tx, collection, jobId, { from: toIndex, to: fromIndex }, 1);
      if (!before) return null;
      const moved = { ...before, index: toIndex };
      await tx.update<JobTaskDoc>(collection, before.id, () => moved);
      return moved;
    }
    case 'TaskDeleted':
      await tx.delete(collection, jobTaskId(jobId, event.data.taskId));
      await renumber(tx, collection, jobId, { from: event.data.index + 1 }, -1);
      return null;
    default:
      return null;
  }
}

/** Moves the tasks at indexes `from` up to `to` (exclusive; absent: the end) by `by` places. */
async function renumber(tx: ProjectionTx, collection: string, jobId: string, { from, to }: { from: number; to?: number }, by: number): Promise<void> {
  const index = to === undefined ? { $gte: from } : { $gte: from, $lt: to };
  for (const { id } of await tx.find<JobTaskDoc>(collection, { jobId, index })) {
    await tx.update<JobTaskDoc>(collection, id, (doc) => ({ ...doc, index: doc.index + by }));
  }
}
