import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, Subject, take, toArray } from 'rxjs';
import { SqliteEventStore } from '../infrastructure/sqlite/sqlite-event-store.js';
import type { RecordedEvent } from '../core/events.js';
import { LiveLog } from './live-log.js';
import { coalesceProgress, type StatusMessage } from './run-status.js';
import { backlogThenLive, type LiveSource, type TailMessage } from './tail.js';

const line = (position: number): TailMessage => ({ position: String(position), data: { n: position } });

describe('backlogThenLive', () => {
  it('sends a line appended while the backlog is read once, in order, whether it came in the backlog, live, or both', async () => {
    let push: (item: TailMessage) => void = () => undefined;
    const live: LiveSource<TailMessage> = async (handlers) => {
      push = handlers.next;
      return () => undefined;
    };
    async function* backlog() {
      yield line(1);
      // Appended now: the live source has it, and the rest of the backlog read sees it too.
      push(line(3));
      push(line(4));
      yield line(2);
      yield line(3);
    }
    const sent = firstValueFrom(backlogThenLive(undefined, live, backlog).pipe(take(5), toArray()));
    await new Promise((r) => setImmediate(r));
    push(line(5));
    expect((await sent).map((m) => m.position)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('sends nothing at or before the resume position, and stops the live source when the client leaves', async () => {
    let stopped = false;
    let push: (item: TailMessage) => void = () => undefined;
    const live: LiveSource<TailMessage> = async (handlers) => {
      push = handlers.next;
      return () => (stopped = true);
    };
    async function* backlog() {
      yield* [line(9), line(10), line(11)];
    }
    const received: string[] = [];
    const subscription = backlogThenLive('10', live, backlog).subscribe((m) => received.push(m.position));
    await new Promise((r) => setImmediate(r));
    push(line(10));
    push(line(12));
    subscription.unsubscribe();
    expect(received).toEqual(['11', '12']);
    expect(stopped).toBe(true);
  });
});

describe('coalesceProgress', () => {
  const progress = (position: number, at: string, taskId: string, rows: number): StatusMessage => ({
    position: String(position),
    event: 'progress',
    runId: 'r1',
    jobId: 'j1',
    at,
    data: { run_id: 'r1', job_id: 'j1', at, steps: [{ task_id: taskId, rows_processed: rows }] },
  });

  it('sends at most one progress a second per run, carrying the steps that reported in between', async () => {
    const input = new Subject<StatusMessage>();
    const sent: StatusMessage[] = [];
    input.pipe(coalesceProgress()).subscribe((m) => sent.push(m));
    input.next(progress(1, '2026-11-23T08:00:00.000Z', 'a', 10));
    input.next(progress(2, '2026-11-23T08:00:00.400Z', 'b', 5));
    input.next(progress(3, '2026-11-23T08:00:00.900Z', 'a', 20));
    input.next(progress(4, '2026-11-23T08:00:01.000Z', 'b', 8));
    expect(sent.map((m) => [m.position, m.data])).toEqual([
      ['1', expect.objectContaining({ steps: [{ task_id: 'a', rows_processed: 10 }] })],
      ['4', expect.objectContaining({ steps: [{ task_id: 'b', rows_processed: 8 }, { task_id: 'a', rows_processed: 20 }] })],
    ]);
  });
});

describe('LiveLog on the embedded log', () => {
  let dir: string;
  let store: SqliteEventStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-livelog-'));
    store = new SqliteEventStore(join(dir, 'events.db'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const append = (stream: string) =>
    store.append(stream, [{ id: randomUUID(), type: 'RunLogged', data: {}, metadata: { actor: 't', correlationId: 'c', occurredAt: new Date().toISOString(), schemaVersion: 1 } }], 'any');

  it('follows the log from the head with one subscription, hands each stream its own events, and closes every tail at shutdown', async () => {
    await append('run-old');
    let subscriptions = 0;
    const subscribe = store.subscribeToAll.bind(store);
    store.subscribeToAll = (options) => (subscriptions++, subscribe(options));
    const live = new LiveLog(store);
    const got = { a: [] as string[], all: [] as string[], closed: 0 };
    const listener = (into: string[]) => ({ event: (e: RecordedEvent) => into.push(e.stream), closed: () => got.closed++ });
    const stopA = await live.listen('run-a', listener(got.a));
    await live.listen(undefined, listener(got.all));
    await append('run-a');
    await append('run-b');
    await waitUntil(() => got.all.length === 2);
    stopA();
    await append('run-a');
    await waitUntil(() => got.all.length === 3);
    expect(got).toEqual({ a: ['run-a'], all: ['run-a', 'run-b', 'run-a'], closed: 0 });
    expect(subscriptions).toBe(1);
    expect(live.listeners).toBe(1);
    await live.beforeApplicationShutdown();
    expect(got.closed).toBe(1);
    expect(live.listeners).toBe(0);
  });

  it('tries to follow the log again for the next tail when the store failed the first', async () => {
    const lastPosition = store.lastPosition.bind(store);
    let failures = 1;
    store.lastPosition = () => (failures-- > 0 ? Promise.reject(new Error('store down')) : lastPosition());
    const live = new LiveLog(store);
    const got: string[] = [];
    const listener = { event: (e: RecordedEvent) => got.push(e.stream), closed: () => undefined };
    await expect(live.listen('run-a', listener)).rejects.toThrow('store down');
    expect(live.listeners).toBe(0);
    await live.listen('run-a', listener);
    await append('run-a');
    await waitUntil(() => got.length === 1);
    expect(got).toEqual(['run-a']);
    await live.beforeApplicationShutdown();
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
}
