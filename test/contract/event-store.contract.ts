import { randomUUID } from 'node:crypto';
import { comparePositions, type NewEvent, type RecordedEvent } from '../../src/core/events.js';
import { type EventStore, WrongExpectedRevisionError } from '../../src/core/event-store.js';

function event(type: string, data: unknown = {}): NewEvent {
  return {
    id: randomUUID(),
    type,
    data,
    metadata: { actor: 'test', correlationId: 'c', occurredAt: new Date().toISOString(), schemaVersion: 1 },
  };
}

/** Every EventStore adapter must pass this suite. */
export function eventStoreContract(name: string, open: () => Promise<EventStore>): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    // Stream names unique per run, so the suite also works on a shared EventStoreDB.
    const s = (label: string) => `${label}-${randomUUID()}`;

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('appends to a new stream with no_stream and reads it back in order', async () => {
      const stream = s('order');
      const result = await store.append(stream, [event('A', { n: 1 }), event('B', { n: 2 })], 'no_stream');
      expect(result.revision).toBe(1);
      const read = await store.readStream(stream);
      expect(read.map((e) => [e.type, e.data, e.revision])).toEqual([
        ['A', { n: 1 }, 0],
        ['B', { n: 2 }, 1],
      ]);
      expect(read[1].position).toBe(result.position);
      expect(read[0].metadata.actor).toBe('test');
    });

    it('rejects no_stream on an existing stream and a stale expected revision, writing nothing', async () => {
      const stream = s('conflict');
      await store.append(stream, [event('A')], 'no_stream');
      await expect(store.append(stream, [event('B')], 'no_stream')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await store.append(stream, [event('B')], 0);
      await expect(store.append(stream, [event('C')], 0)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['A', 'B']);
    });

    it('appends with any and stream_exists', async () => {
      const stream = s('any');
      await expect(store.append(stream, [event('A')], 'stream_exists')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await store.append(stream, [event('A')], 'any');
      await store.append(stream, [event('B')], 'any');
      await store.append(stream, [event('C')], 'stream_exists');
      expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['A', 'B', 'C']);
    });

    it('lets exactly one of two concurrent appends at the same revision win', async () => {
      const stream = s('race');
      await store.append(stream, [event('A')], 'no_stream');
      const outcomes = await Promise.allSettled([store.append(stream, [event('X')], 0), store.append(stream, [event('Y')], 0)]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(await store.readStream(stream)).toHaveLength(2);
    });

    it('lets exactly one of many concurrent appends at each expected revision win, losing and duplicating nothing', async () => {
      const streams = [s('many'), s('many'), s('many')];
      for (const stream of streams) await store.append(stream, [event('A')], 'no_stream');
      const attempts = streams.flatMap((stream) => Array.from({ length: 8 }, (_, i) => ({ stream, e: event('X', { i }) })));
      const outcomes = await Promise.allSettled(attempts.map(({ stream, e }) => store.append(stream, [e], 0)));
      for (const stream of streams) {
        const won = attempts.filter((a, i) => a.stream === stream && outcomes[i].status === 'fulfilled');
        expect(won).toHaveLength(1);
        expect((await store.readStream(stream)).map((e) => e.id)).toEqual([expect.any(String), won[0].e.id]);
      }
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(WrongExpectedRevisionError);
    });

    it('keeps the appends beside a refused one, each at a position in the order they were made', async () => {
      const [a, b, c] = [s('beside'), s('beside'), s('beside')];
      await store.append(b, [event('B0')], 'no_stream');
      const made = await Promise.allSettled([
        store.append(a, [event('A0'), event('A1')], 'no_stream'),
        store.append(b, [event('B1')], 5),
        store.append(c, [event('C0')], 'no_stream'),
        store.append(a, [event('A2')], 1),
      ]);
      expect(made.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect((await store.readStream(a)).map((e) => e.type)).toEqual(['A0', 'A1', 'A2']);
      expect((await store.readStream(b)).map((e) => e.type)).toEqual(['B0']);
      const positions = made.flatMap((o) => (o.status === 'fulfilled' ? [o.value.position] : []));
      expect([...positions].sort(comparePositions)).toEqual(positions);
      expect(new Set(positions).size).toBe(3);
    });

    it('treats a retried append with the same event ids as already done', async () => {
      const stream = s('idem');
      const e = event('A');
      const first = await store.append(stream, [e], 'no_stream');
      const again = await store.append(stream, [e], 'no_stream');
      expect(again).toEqual(first);
      expect(await store.readStream(stream)).toHaveLength(1);
    });

    it('reads a missing stream as empty and pages a stream by revision', async () => {
      expect(await store.readStream(s('missing'))).toEqual([]);
      const stream = s('page');
      await store.append(stream, [event('A'), event('B'), event('C'), event('D')], 'no_stream');
      const page = await store.readStream(stream, { fromRevision: 1, maxCount: 2 });
      expect(page.map((e) => e.type)).toEqual(['B', 'C']);
    });

    it('reads all from an exclusive position in global order', async () => {
      const a = s('all-a');
      const b = s('all-b');
      const first = await store.append(a, [event('A1')], 'no_stream');
      await store.append(b, [event('B1')], 'no_stream');
      await store.append(a, [event('A2')], 0);
      const after = await store.readAll({ after: first.position, maxCount: 10_000 });
      const mine = after.filter((e) => e.stream === a || e.stream === b);
      expect(mine.map((e) => e.type)).toEqual(['B1', 'A2']);
      for (let i = 1; i < after.length; i++) expect(comparePositions(after[i - 1].position, after[i].position)).toBeLessThan(0);
    });

    it('delivers past and then live appends to a catch-up subscription, in order', async () => {
      const stream = s('live');
      await store.append(stream, [event('Before')], 'no_stream');
      const subscription = store.subscribeToAll({});
      const seen: RecordedEvent[] = [];
      const done = (async () => {
        for await (const e of subscription) {
          if (e.stream !== stream) continue;
          seen.push(e);
          if (seen.length === 3) break;
        }
      })();
      await new Promise((r) => setTimeout(r, 50));
      await store.append(stream, [event('Live1')], 0);
      await store.append(stream, [event('Live2')], 1);
      await done;
      await subscription.close();
      expect(seen.map((e) => e.type)).toEqual(['Before', 'Live1', 'Live2']);
    });

    it('reads the newest event of a stream', async () => {
      const stream = s('last');
      expect(await store.readLast(stream)).toBeUndefined();
      await store.append(stream, [event('First'), event('Second')], 'no_stream');
      expect(await store.readLast(stream)).toMatchObject({ type: 'Second', revision: 1 });
    });

    it('reads the newest event of its own, past system events', async () => {
      const stream = s('last-own');
      await store.append(stream, [event('Mine'), event('$system')], 'no_stream');
      expect(await store.readLast(stream)).toMatchObject({ type: 'Mine', revision: 0 });
    });

    it('knows the position of the newest event', async () => {
      const { position } = await store.append(s('head'), [event('Last')], 'no_stream');
      expect(await store.lastPosition()).toBe(position);
    });

    it('starts a subscription after the given position', async () => {
      const stream = s('from');
      const first = await store.append(stream, [event('One')], 'no_stream');
      const subscription = store.subscribeToAll({ after: first.position });
      await store.append(stream, [event('Two')], 0);
      let seen: RecordedEvent | undefined;
      for await (const e of subscription) {
        if (e.stream === stream) {
          seen = e;
          break;
        }
      }
      await subscription.close();
      expect(seen?.type).toBe('Two');
    });
  });
}
