import { bounded, Interrupted } from './limits.js';

describe('bounded', () => {
  it('keeps handling work given up to a signal that had already aborted, so its later failure is never unhandled', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const stop = new AbortController();
      stop.abort('cancelled');
      let fail!: (error: Error) => void;
      const work = new Promise<never>((_, reject) => (fail = reject));
      await expect(bounded(work, { ms: 0, what: '' }, stop.signal)).rejects.toBeInstanceOf(Interrupted);
      fail(new Error('the connection closed under the cancelled read'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});
