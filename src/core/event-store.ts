import type { ExpectedRevision, NewEvent, RecordedEvent } from './events.js';

export interface AppendResult {
  /** Revision of the last event written. */
  revision: number;
  position: string;
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Omitted means from the start. */
  after?: string;
  maxCount: number;
}

export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

/** The append-only log. Implemented on SQLite (embedded) and EventStoreDB (production). */
export interface EventStore {
  append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;
  /** Events of one stream in revision order; an empty array when the stream does not exist. */
  readStream(stream: string, options?: { fromRevision?: number; maxCount?: number }): Promise<RecordedEvent[]>;
  /** The newest event of a stream, if it has any. */
  readLast(stream: string): Promise<RecordedEvent | undefined>;
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Catch-up subscription: every event after `after`, then live appends, in log order. */
  subscribeToAll(options: { after?: string }): Subscription;
  /** Position of the newest event; undefined for an empty log. */
  lastPosition(): Promise<string | undefined>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const EVENT_STORE = Symbol('EventStore');

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | 'no_stream',
  ) {
    super(`Stream ${stream} is at revision ${actual}, expected ${expected}`);
    this.name = 'WrongExpectedRevisionError';
  }
}
