import type { Task } from './job.model.js';

interface TaskIndex {
  ids: Set<string>;
  /** How many tasks write to each destination connection. */
  destinations: Map<string, number>;
}

/**
 * Each tasks array's ids and destinations, so a command on a job of thousands of tasks does not scan them
 * all (at 10,000 tasks a scan took 100–300 µs, several times per command). Arrays are never changed in
 * place; adding a task hands the index on to the new array (see withTaskAdded) and the old array builds
 * its own again if it is ever asked.
 */
const indexes = new WeakMap<readonly Task[], TaskIndex>();

function indexOf(tasks: readonly Task[]): TaskIndex {
  let index = indexes.get(tasks);
  if (!index) {
    index = { ids: new Set(), destinations: new Map() };
    for (const task of tasks) add(index, task);
    indexes.set(tasks, index);
  }
  return index;
}

function add(index: TaskIndex, task: Task): void {
  index.ids.add(task.id);
  const destination = task.destinationConnectionId;
  if (destination) index.destinations.set(destination, (index.destinations.get(destination) ?? 0) + 1);
}

export const hasTask = (tasks: readonly Task[], id: string): boolean => indexOf(tasks).ids.has(id);

/** The connections the tasks write to, each once. */
export const taskDestinations = (tasks: readonly Task[]): string[] => [...indexOf(tasks).destinations.keys()];

/** `tasks` with `task` inserted at `at`: a new array, which takes over the index of the old one (if it has one). */
export function withTaskAdded(tasks: readonly Task[], task: Task, at: number): Task[] {
  const next = [...tasks];
  next.splice(at, 0, task);
  const index = indexes.get(tasks);
  if (index) {
    indexes.delete(tasks);
    add(index, task);
    indexes.set(next, index);
  }
  return next;
}
