import type { AppendResult, EventStore, ReadAllOptions, Subscription } from './event-store.js';
import type { ExpectedRevision, NewEvent, RecordedEvent } from './events.js';
import type { EventSchemas } from './upcasters.js';

/**
 * The event store every reader uses: events are stamped with their type's schema version when appended
 * and come back in the current shape whatever version they were stored in. Nothing stored is rewritten.
 */
export class UpcastingEventStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly schemas: EventSchemas,
  ) {}

  append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    const stamped = events.map((e) => ({ ...e, metadata: { ...e.metadata, schemaVersion: this.schemas.versionOf(e.type) } }));
    return this.inner.append(stream, stamped, expected);
  }

  async readStream(stream: string, options?: { fromRevision?: number; maxCount?: number }): Promise<RecordedEvent[]> {
    return (await this.inner.readStream(stream, options)).map((e) => this.schemas.upcast(e));
  }

  async readLast(stream: string): Promise<RecordedEvent | undefined> {
    const last = await this.inner.readLast(stream);
    return last && this.schemas.upcast(last);
  }

  async readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    return (await this.inner.readAll(options)).map((e) => this.schemas.upcast(e));
  }

  subscribeToAll(options: { after?: string }): Subscription {
    const inner = this.inner.subscribeToAll(options);
    const schemas = this.schemas;
    const iterator = (async function* () {
      for await (const event of inner) yield schemas.upcast(event);
    })();
    return { [Symbol.asyncIterator]: () => iterator, close: () => inner.close() };
  }

  lastPosition(): Promise<string | undefined> {
    return this.inner.lastPosition();
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
