import { EventEmitter } from 'node:events';
import Database from 'better-sqlite3';
import type { ExpectedRevision, NewEvent, RecordedEvent } from '../../core/events.js';
import {
  type AppendResult,
  type EventStore,
  type ReadAllOptions,
  type Subscription,
  WrongExpectedRevisionError,
} from '../../core/event-store.js';
import { Logger } from '@nestjs/common';
import { WriteFaults } from '../../core/store-fault.js';
import { openStoreDatabase, probeWrite } from './open-database.js';

interface Row {
  position: number;
  id: string;
  stream: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
}

interface PendingAppend {
  stream: string;
  events: NewEvent[];
  expected: ExpectedRevision;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/** How often a live subscription looks for appends made by another process on the same file. */
const POLL_MS = 200;
const PAGE = 1000;

/** The event log in one SQLite file (WAL): a global position per event and a unique revision per stream. */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly appended = new EventEmitter();
  private readonly statements;
  private readonly writes: WriteFaults;

  constructor(file: string) {
    this.writes = new WriteFaults('event store', file, (fault) => new Logger('EventStore').error(fault.message));
    this.db = openStoreDatabase(
      file,
      'event store',
      `
      CREATE TABLE IF NOT EXISTS events (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        stream TEXT NOT NULL,
        revision INTEGER NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        metadata TEXT NOT NULL,
        UNIQUE (stream, revision)
      )`,
      this.writes,
    );
    this.appended.setMaxListeners(0);
    this.statements = {
      head: this.db.prepare<[string], { revision: number | null }>('SELECT max(revision) AS revision FROM events WHERE stream = ?'),
      byId: this.db.prepare<[string], Row>('SELECT * FROM events WHERE id = ?'),
      insert: this.db.prepare(
        'INSERT INTO events (id, stream, revision, type, data, metadata) VALUES (@id, @stream, @revision, @type, @data, @metadata)',
      ),
      stream: this.db.prepare<[string, number, number], Row>(
        'SELECT * FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?',
      ),
      // Like EventStoreDB's adapter: system and link events ($-types) are not the stream's own.
      last: this.db.prepare<[string], Row>(`SELECT * FROM events WHERE stream = ? AND type NOT LIKE '$%' ORDER BY revision DESC LIMIT 1`),
      all: this.db.prepare<[number, number], Row>('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
    };
  }

  private readonly appendTx = (stream: string, events: NewEvent[], expected: ExpectedRevision): AppendResult => {
    const replay = this.alreadyAppended(stream, events);
    if (replay) return replay;
    const head = this.statements.head.get(stream)?.revision ?? null;
    const actual = head === null ? 'no_stream' : head;
    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && head === null) ||
      (expected === 'stream_exists' && head !== null) ||
      expected === head;
    if (!ok) throw new WrongExpectedRevisionError(stream, expected, actual);
    let revision = head ?? -1;
    let position = 0;
    for (const e of events) {
      revision++;
      const info = this.statements.insert.run({
        id: e.id,
        stream,
        revision,
        type: e.type,
        data: JSON.stringify(e.data),
        metadata: JSON.stringify(e.metadata),
      });
      position = Number(info.lastInsertRowid);
    }
    return { revision, position: String(position) };
  };

  /** An append whose event ids are already in this stream is a retry: answer what it wrote. */
  private alreadyAppended(stream: string, events: NewEvent[]): AppendResult | undefined {
    if (events.length === 0) return undefined;
    const last = this.statements.byId.get(events[events.length - 1].id);
    if (!last || last.stream !== stream) return undefined;
    return { revision: last.revision, position: String(last.position) };
  }

  /**
   * Group commit: appends that arrive in the same turn of the event loop commit together, in one transaction
   * (one fsync), each in a savepoint of its own, so a failed expected-revision check undoes only its own
   * append. An append resolves only once its transaction has committed; positions follow arrival order.
   */
  append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ stream, events, expected, resolve, reject });
      if (this.pending.length === 1) setImmediate(this.commitPending);
    });
  }

  private pending: PendingAppend[] = [];

  private readonly commitPending = () => {
    const batch = this.pending;
    this.pending = [];
    const outcomes: Array<{ result: AppendResult } | { error: unknown }> = [];
    const appendOne = this.db.transaction(this.appendTx);
    try {
      this.writes.run(() =>
        this.db
          .transaction(() => {
            outcomes.length = 0;
            for (const a of batch) {
              try {
                outcomes.push({ result: appendOne(a.stream, a.events, a.expected) });
              } catch (error) {
                // Its own refusals (a revision, a constraint) fail only this append; a fault of the file fails the commit.
                const own = error instanceof WrongExpectedRevisionError || String((error as { code?: unknown }).code ?? '').startsWith('SQLITE_CONSTRAINT');
                if (!own) throw error;
                outcomes.push({ error });
              }
            }
          })
          .immediate(),
      );
    } catch (error) {
      // The commit itself failed (a full disk, a busy file): nothing of the batch was written.
      for (const a of batch) a.reject(error);
      return;
    }
    batch.forEach((a, i) => {
      const outcome = outcomes[i];
      if ('result' in outcome) a.resolve(outcome.result);
      else a.reject(outcome.error);
    });
    if (outcomes.some((o) => 'result' in o)) this.appended.emit('append');
  };

  async readStream(stream: string, options: { fromRevision?: number; maxCount?: number } = {}): Promise<RecordedEvent[]> {
    return this.statements.stream.all(stream, options.fromRevision ?? 0, options.maxCount ?? -1).map(toRecorded);
  }

  async readLast(stream: string): Promise<RecordedEvent | undefined> {
    const row = this.statements.last.get(stream);
    return row && toRecorded(row);
  }

  async readAll({ after, maxCount }: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.readAllSync(after, maxCount);
  }

  private readAllSync(after: string | undefined, maxCount: number): RecordedEvent[] {
    return this.statements.all.all(after === undefined ? 0 : Number(after), maxCount).map(toRecorded);
  }

  subscribeToAll({ after }: { after?: string }): Subscription {
    let closed = false;
    let wake: (() => void) | undefined;
    const onAppend = () => wake?.();
    this.appended.on('append', onAppend);
    const store = this;
    async function* follow(): AsyncGenerator<RecordedEvent> {
      let position = after;
      try {
        while (!closed) {
          const page = store.readAllSync(position, PAGE);
          for (const event of page) {
            if (closed) return;
            position = event.position;
            yield event;
          }
          if (page.length < PAGE && !closed) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, POLL_MS).unref();
            });
            wake = undefined;
          }
        }
      } finally {
        store.appended.off('append', onAppend);
      }
    }
    const iterator = follow();
    return {
      [Symbol.asyncIterator]: () => iterator,
      close: async () => {
        closed = true;
        wake?.();
        store.appended.off('append', onAppend);
      },
    };
  }

  async lastPosition(): Promise<string | undefined> {
    const row = this.db.prepare('SELECT max(position) AS position FROM events').get() as { position: number | null };
    return row.position === null ? undefined : String(row.position);
  }

  /** Reads answer; after a failed append, a probe write says whether it can write again. */
  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
    if (this.writes.fault) this.writes.run(() => probeWrite(this.db));
  }

  async close(): Promise<void> {
    // Appends already taken are committed first, not dropped.
    if (this.pending.length && this.db.open) this.commitPending();
    if (this.db.open) this.db.close();
  }
}

function toRecorded(row: Row): RecordedEvent {
  return {
    id: row.id,
    stream: row.stream,
    revision: row.revision,
    position: String(row.position),
    type: row.type,
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
  };
}
