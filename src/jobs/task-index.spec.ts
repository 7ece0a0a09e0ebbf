import type { Task } from './job.model.js';
import { hasTask, taskDestinations, withTaskAdded } from './task-index.js';

const task = (id: string, destinationConnectionId: string | null = null): Task => ({ id, query: `REPLICATE [${id}]`, isActive: true, incrementalColumn: null, destinationConnectionId, keyColumns: null });

describe('task index', () => {
  it('answers each array as it is, after its index has passed on to the array a task was added to', () => {
    const first = [task('a', 'c1'), task('b')];
    expect(hasTask(first, 'a')).toBe(true);
    const second = withTaskAdded(first, task('x', 'c2'), 1);
    expect(second.map((t) => t.id)).toEqual(['a', 'x', 'b']);
    expect([hasTask(second, 'x'), hasTask(second, 'b')]).toEqual([true, true]);
    expect(taskDestinations(second).sort()).toEqual(['c1', 'c2']);
    // The old array is unchanged and knows nothing of the task added after it.
    expect(first.map((t) => t.id)).toEqual(['a', 'b']);
    expect(hasTask(first, 'x')).toBe(false);
    expect(taskDestinations(first)).toEqual(['c1']);
  });

  it('keeps two arrays added to from one apart', () => {
    const base = [task('a')];
    hasTask(base, 'a');
    const left = withTaskAdded(base, task('l', 'cl'), 1);
    const right = withTaskAdded(base, task('r', 'cr'), 1);
    expect([hasTask(left, 'l'), hasTask(left, 'r'), hasTask(right, 'r'), hasTask(right, 'l')]).toEqual([true, false, true, false]);
    expect([taskDestinations(left), taskDestinations(right)]).toEqual([['cl'], ['cr']]);
  });

  it('counts a destination once for all the tasks that write to it, and never one no task has', () => {
    const tasks = withTaskAdded([task('a', 'c'), task('b', 'c')], task('d', 'c'), 0);
    expect(taskDestinations(tasks)).toEqual(['c']);
    expect(taskDestinations([task('a'), task('b')])).toEqual([]);
  });
});
