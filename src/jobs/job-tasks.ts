import { derivedOnce } from '../core/kept-answers.js';
import type { ReadStore } from '../core/read-store.js';
import type { Task } from './job.model.js';
import { type JobDoc, type JobRecord, JOB_TASKS, type JobTaskDoc, jobTaskId } from './jobs.read-model.js';

/**
 * A job with its tasks in order, from its task documents (in any order). A document from before tasks were
 * documents of their own, read while the jobs model is rebuilt for it, answers with the tasks it holds.
 */
export const withTaskDocs = derivedOnce((job: JobRecord, docs: JobTaskDoc[]): JobDoc => {
  if (job.taskCount === undefined && 'tasks' in job) return job as JobDoc;
  return { ...job, tasks: [...docs].sort((a, b) => a.index - b.index).map((d) => d.task) };
});

/** Jobs with their tasks in order, the tasks of all of them read in one query. */
export async function withTasks(store: Pick<ReadStore, 'find'>, jobs: JobRecord[]): Promise<JobDoc[]> {
  if (jobs.length === 0) return [];
  const jobId = jobs.length === 1 ? jobs[0].id : { $in: jobs.map((j) => j.id) };
  const { items } = await store.find<JobTaskDoc>(JOB_TASKS, { filter: { jobId }, sort: [{ field: 'jobId', order: 1 }, { field: 'index', order: 1 }] });
  // One job's tasks are the page itself: a job and a page the store kept give back the job it made of them.
  return jobs.length === 1 ? [withTaskDocs(jobs[0], items)] : pageWithTaskDocs(jobs, items);
}

/** A page of jobs with their tasks, from the tasks of all of them: once for each pair of pages the store kept. */
const pageWithTaskDocs = derivedOnce((jobs: JobRecord[], docs: JobTaskDoc[]): JobDoc[] => {
  const byJob = new Map<string, JobTaskDoc[]>(jobs.map((j) => [j.id, []]));
  for (const doc of docs) byJob.get(doc.jobId)?.push(doc);
  return jobs.map((job) => withTaskDocs(job, byJob.get(job.id)!));
});

/** One task of a job and its index, read alone; null when the job has no such task. */
export async function jobTask(store: Pick<ReadStore, 'get'>, jobId: string, taskId: string): Promise<{ task: Task; index: number } | null> {
  const doc = await store.get<JobTaskDoc>(JOB_TASKS, jobTaskId(jobId, taskId));
  return doc && { task: doc.task, index: doc.index };
}
