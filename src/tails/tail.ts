import { type MonoTypeOperatorFunction, Observable } from 'rxjs';
import { comparePositions } from '../core/events.js';

/** What a tail sends: an SSE message whose id is the log position of the event it tells of. */
export interface TailMessage {
  position: string;
  /** The SSE event name; none means the default `message`. */
  event?: string;
  data: object;
}

/** Where live items come from: `start` resolves once items are flowing, with a function that stops them. */
export type LiveSource<T> = (handlers: { next(item: T): void; closed(): void }) => Promise<() => void>;

/**
 * The backlog after `after`, then live items, with no gap and no duplicate. Live items are listened for
 * first and held while the backlog is read, so one appended between the two reads is in one of them; an
 * item at or before the last one sent (the backlog's end, or the client's Last-Event-ID) is dropped.
 */
export function backlogThenLive<T extends { position: string }>(
  after: string | undefined,
  live: LiveSource<T>,
  backlog: (after: string | undefined) => AsyncIterable<T>,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    let last = after;
    let held: T[] | undefined = [];
    let stop: (() => void) | undefined;
    let done = false;
    const send = (item: T) => {
      if (done || comparePositions(item.position, last) <= 0) return;
      last = item.position;
      subscriber.next(item);
    };
    (async () => {
      stop = await live({ next: (item) => (held ? held.push(item) : send(item)), closed: () => subscriber.complete() });
      if (done) return stop();
      for await (const item of backlog(after)) {
        if (done) return;
        send(item);
      }
      const pending = held ?? [];
      held = undefined;
      for (const item of pending) send(item);
    })().catch((error) => subscriber.error(error));
    return () => {
      done = true;
      stop?.();
    };
  });
}

/** A comment every `ms` on a stream that has sent nothing for that long, so proxies keep it open. */
export function keepAlive<T>(ms: number, comment: T): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const timer = setTimeout(function ping() {
        subscriber.next(comment);
        timer.refresh();
      }, ms);
      timer.unref();
      const inner = source.subscribe({
        next: (item) => {
          timer.refresh();
          subscriber.next(item);
        },
        error: (error) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        clearTimeout(timer);
        inner.unsubscribe();
      };
    });
}
