import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DomainError } from '../core/errors.js';
import type { RecordedEvent } from '../core/events.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { maskEventData } from '../core/secrets.js';

/** A page of one of Sluice's streams, from the log in its current shape with secrets masked: the audit history of a job, connection, … */
export class ReadStreamEvents extends Query<{ events: RecordedEvent[]; next?: number }> {
  constructor(
    readonly stream: string,
    readonly from: number,
    readonly limit: number,
    /** Users' and tokens' streams are shown to Administrators only. */
    readonly mayReadIdentities: boolean,
  ) {
    super();
  }
}

/** The identity store's streams: users, their logins, tokens, their names and hash index. */
const IDENTITY_STREAM = /^(user|login|token)-/;

@QueryHandler(ReadStreamEvents)
export class ReadStreamEventsHandler implements IQueryHandler<ReadStreamEvents> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ stream, from, limit, mayReadIdentities }: ReadStreamEvents) {
    // `$` streams belong to the event store itself (EventStoreDB's settings, projections, stats), not to Sluice.
    if (stream.startsWith('$')) throw new DomainError('STREAM.NOT_FOUND', `Stream ${stream} is not one of Sluice's streams`);
    if (IDENTITY_STREAM.test(stream) && !mayReadIdentities) throw new DomainError('FORBIDDEN', `Stream ${stream} belongs to a user or token: only Administrators read it`);
    const events = await this.store.readStream(stream, { fromRevision: from, maxCount: limit + 1 });
    if (events.length === 0 && (from === 0 || (await this.store.readStream(stream, { maxCount: 1 })).length === 0)) {
      throw new DomainError('STREAM.NOT_FOUND', `Stream ${stream} has no events`);
    }
    const page = events.slice(0, limit).map((e) => ({ ...e, data: maskEventData(e.data) }));
    return { events: page, next: events.length > limit ? page[page.length - 1].revision + 1 : undefined };
  }
}
