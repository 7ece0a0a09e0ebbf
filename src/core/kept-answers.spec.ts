import { deepFreeze, derivedOnce } from './kept-answers.js';

describe('derivedOnce', () => {
  const counted = () => {
    let calls = 0;
    const derive = derivedOnce((job: { name: string }, tasks?: string[]) => {
      calls++;
      return { title: job.name.toUpperCase(), tasks: [...(tasks ?? [])] };
    });
    return { derive, calls: () => calls };
  };

  it('derives once for an answer the store kept, and shares it frozen', () => {
    const { derive, calls } = counted();
    const job = deepFreeze({ name: 'nightly' });
    const first = derive(job);
    expect(derive(job)).toBe(first);
    expect(calls()).toBe(1);
    expect(() => first.tasks.push('t')).toThrow(TypeError);
  });

  it('derives again for a new answer, and for a second input that is not the same object', () => {
    const { derive, calls } = counted();
    const job = deepFreeze({ name: 'nightly' });
    const tasks = deepFreeze(['a']);
    expect(derive(job, tasks).tasks).toEqual(['a']);
    expect(derive(job, deepFreeze(['a', 'b'])).tasks).toEqual(['a', 'b']);
    expect(derive(deepFreeze({ name: 'hourly' }), tasks).title).toBe('HOURLY');
    expect(calls()).toBe(3);
  });

  it('derives at every call from what the store did not keep: it may still change', () => {
    const { derive, calls } = counted();
    const job = { name: 'nightly' };
    expect(derive(job).title).toBe('NIGHTLY');
    job.name = 'renamed';
    expect(derive(job).title).toBe('RENAMED');
    expect(calls()).toBe(2);
    expect(Object.isFrozen(derive(job))).toBe(false);
  });
});
