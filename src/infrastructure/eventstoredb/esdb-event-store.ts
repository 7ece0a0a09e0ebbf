import {
  ANY,
  BACKWARDS,
  END,
  type AppendExpectedRevision,
  EventStoreDBClient,
  NO_STREAM,
  type Position,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
} from '@eventstore/db-client';
import type { EventMetadata, ExpectedRevision, NewEvent, RecordedEvent } from '../../core/events.js';
import {
  type AppendResult,
  type EventStore,
  type ReadAllOptions,
  type Subscription,
  WrongExpectedRevisionError,
} from '../../core/event-store.js';

/** Snapshot streams only ever need their newest event: the server may scavenge the rest. */
const SNAPSHOTS_KEPT = 3;
/** How far back an idempotent append looks for its own last event, and readLast for one that is not a system event. */
const LOOK_BACK = 50;

type EsdbRecorded = {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  data: unknown;
  metadata: unknown;
  position?: Position;
};

/**
 * The event log on EventStoreDB / KurrentDB through @eventstore/db-client. Kept thin on purpose:
 * moving to @kurrent/kurrentdb-client (expectedRevision → streamState) touches only this file.
 */
export class EsdbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly limited = new Set<string>();

  constructor(connectionString: string) {
    this.client = EventStoreDBClient.connectionString(connectionString);
  }

  async append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    try {
      const result = await this.client.appendToStream(
        stream,
        events.map((e) => jsonEvent({ id: e.id, type: e.type, data: e.data as never, metadata: e.metadata as never })),
        { expectedRevision: toExpected(expected) },
      );
      await this.limitSnapshots(stream);
      // An append the server recognised as already done (same event ids) comes back without a position.
      if (!result.position) return await this.alreadyAppended(stream, events);
      return { revision: Number(result.nextExpectedRevision), position: formatPosition(result.position) };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = typeof error.actualVersion === 'bigint' ? Number(error.actualVersion) : 'no_stream';
        throw new WrongExpectedRevisionError(stream, expected, actual);
      }
      throw error;
    }
  }

  /** Where an idempotent append's events are: its last event, or the stream's last one if it is further back. */
  private async alreadyAppended(stream: string, events: NewEvent[]): Promise<AppendResult> {
    const lastId = events[events.length - 1]?.id;
    let newest: RecordedEvent | undefined;
    for (const e of await this.readBackwards(stream, LOOK_BACK)) {
      newest ??= e;
      if (e.id === lastId) return { revision: e.revision, position: e.position };
    }
    if (!newest) throw new Error(`EventStoreDB returned no position for an append to ${stream}, and the stream is empty`);
    return { revision: newest.revision, position: newest.position };
  }

  private async limitSnapshots(stream: string): Promise<void> {
    if (!stream.startsWith('snapshot-') || this.limited.has(stream)) return;
    await this.client.setStreamMetadata(stream, { maxCount: SNAPSHOTS_KEPT });
    this.limited.add(stream);
  }

  async readStream(stream: string, options: { fromRevision?: number; maxCount?: number } = {}): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(stream, {
        fromRevision: options.fromRevision ? BigInt(options.fromRevision) : START,
        maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER,
      });
      for await (const resolved of read) if (resolved.event) events.push(toRecorded(resolved.event as EsdbRecorded));
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  /** The newest event of Sluice's own: system events and links ($-types) are skipped. */
  async readLast(stream: string): Promise<RecordedEvent | undefined> {
    return (await this.readBackwards(stream, LOOK_BACK))[0];
  }

  /** The stream's newest events first, without system events and links ($-types). */
  private async readBackwards(stream: string, maxCount: number): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(stream, { fromRevision: END, direction: BACKWARDS, maxCount, resolveLinkTos: false })) {
        const e = resolved.event as EsdbRecorded | undefined;
        if (e && !e.type.startsWith('$')) events.push(toRecorded(e));
      }
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
    }
    return events;
  }

  async readAll({ after, maxCount }: ReadAllOptions): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    // readAll's fromPosition is inclusive, and system events count against maxCount: read on, skipping both,
    // until the page is full or the log ends.
    const read = this.client.readAll({ fromPosition: after ? parsePosition(after) : START });
    for await (const resolved of read) {
      const e = resolved.event as EsdbRecorded | undefined;
      if (!e || e.type.startsWith('$') || e.streamId.startsWith('$')) continue;
      const recorded = toRecorded(e);
      if (recorded.position === after) continue;
      events.push(recorded);
      if (events.length >= maxCount) break;
    }
    return events;
  }

  subscribeToAll({ after }: { after?: string }): Subscription {
    const subscription = this.client.subscribeToAll({
      fromPosition: after ? parsePosition(after) : START,
      filter: excludeSystemEvents(),
    });
    async function* follow(): AsyncGenerator<RecordedEvent> {
      for await (const resolved of subscription) {
        if (resolved.event) yield toRecorded(resolved.event as EsdbRecorded);
      }
    }
    const iterator = follow();
    return { [Symbol.asyncIterator]: () => iterator, close: () => subscription.unsubscribe() };
  }

  async lastPosition(): Promise<string | undefined> {
    for await (const resolved of this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 })) {
      if (resolved.event?.position) return formatPosition(resolved.event.position);
    }
    return undefined;
  }

  async ping(): Promise<void> {
    for await (const _ of this.client.readAll({ maxCount: 1 })) break;
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }
}

function toExpected(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'stream_exists') return STREAM_EXISTS;
  return BigInt(expected);
}

function formatPosition(p: Position): string {
  return `${p.commit}/${p.prepare}`;
}

function parsePosition(p: string): Position {
  const [commit, prepare] = p.split('/');
  return { commit: BigInt(commit), prepare: BigInt(prepare ?? commit) };
}

function toRecorded(e: EsdbRecorded): RecordedEvent {
  if (!e.position) throw new Error(`Event ${e.id} in ${e.streamId} has no position`);
  return {
    id: e.id,
    stream: e.streamId,
    revision: Number(e.revision),
    position: formatPosition(e.position),
    type: e.type,
    data: e.data,
    metadata: e.metadata as EventMetadata,
  };
}
