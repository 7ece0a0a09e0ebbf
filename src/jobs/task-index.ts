import type { Task } from './job.model.js';

/** What is known of one tasks array, each part found when first asked for. */
interface TaskIndex {
  ids?: Set<string>;
  /** How many tasks write to each destination connection. */
  destinations?: Map<string, number>;
}

/**
 * Each tasks array's ids and destinations, so a command on a job of thousands of tasks does not scan them
 * all (at 10,000 tasks a scan took 100–300 µs, several times per command). Arrays are never changed in
 * place; adding a task hands the index on to the new array (see withTaskAdded) and the old array builds
 * its own again if it is ever asked. An array made otherwise (a task changed, moved or deleted) starts
 * with none.
 */
const indexes = new WeakMap<readonly Task[], TaskIndex>();

function indexOf(tasks: readonly Task[]): TaskIndex {
  let index = indexes.get(tasks);
  if (!index) indexes.set(tasks, (index = {}));
  return index;
}

export function hasTask(tasks: readonly Task[], id: string): boolean {
  const index = indexOf(tasks);
  index.ids ??= new Set(tasks.map((t) => t.id));
  return index.ids.has(id);
}

/** The connections the tasks write to, each once. */
export function taskDestinations(tasks: readonly Task[]): string[] {
  const index = indexOf(tasks);
  if (!index.destinations) {
    index.destinations = new Map();
    for (const task of tasks) countDestination(index.destinations, task);
  }
  return [...index.destinations.keys()];
}

function countDestination(destinations: Map<string, number>, task: Task): void {
  const destination = task.destinationConnectionId;
  if (destination) destinations.set(destination, (destinations.get(destination) ?? 0) + 1);
}

/** `tasks` with `task` inserted at `at`: a new array, which takes over the index of the old one (if it has one). */
export function withTaskAdded(tasks: readonly Task[], task: Task, at: number): Task[] {
  const next = [...tasks];
  next.splice(at, 0, task);
  const index = indexes.get(tasks);
  if (index) {
    indexes.delete(tasks);
    index.ids?.add(task.id);
    if (index.destinations) countDestination(index.destinations, task);
    indexes.set(next, index);
  }
  return next;
}
