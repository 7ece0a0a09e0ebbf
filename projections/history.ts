import type { EventStore } from '../src/core/event-store.js';
import type { RecordedEvent } from '../src/core/events.js';
import type { DocAsOf, ReadModelHistory, Related } from '../src/core/read-model-history.js';
import type { Doc } from '../src/core/read-store.js';
import { type Projection, ProjectionTx } from './projection.js';
import { StreamStates } from './stream-states.js';

/** A read store with nothing in it: the fold for `as_of` starts from no documents. */
const NOTHING_YET = { getApplied: async () => null, find: async () => ({ items: [] }) };

/** Answers `as_of` by folding one stream, up to that moment, through the same projection the live read model uses. */
export class ProjectionHistory implements ReadModelHistory {
  constructor(
    private readonly events: EventStore,
    private readonly projections: Projection[],
  ) {}

  async asOf<T extends Doc>(collection: string, id: string, stream: string, at: string, related?: Related): Promise<DocAsOf<T> | null> {
    const projection = this.projections.find((p) => collection in p.collections);
    if (!projection) throw new Error(`No projection owns the collection ${collection}`);
    // Event times within a stream rise with it, but instances' clocks may disagree: filter, do not stop.
    const events = (await this.events.readStream(stream)).filter((event) => event.metadata.occurredAt <= at);
    let tx = new ProjectionTx(NOTHING_YET, projection, { streams: new StreamStates(this.events) });
    let last: DocAsOf<T> | null = null;
    /** How many events the last state of the document had seen. */
    let seen = 0;
    for (const [i, event] of events.entries()) {
      await tx.apply(event);
      const doc = await tx.get<T>(collection, id);
      if (doc) [last, seen] = [{ doc }, i + 1];
      else if (last && !last.deletedAt) last = { doc: last.doc, deletedAt: event.metadata.occurredAt };
    }
    if (!last || !related) return last;
    // A deleted document's related ones are shown as they were just before its deletion.
    if (last.deletedAt) tx = await this.fold(projection, events.slice(0, seen));
    return { ...last, related: await tx.find(related.collection, { [related.field]: id }) };
  }

  private async fold(projection: Projection, events: RecordedEvent[]): Promise<ProjectionTx> {
    const tx = new ProjectionTx(NOTHING_YET, projection, { streams: new StreamStates(this.events) });
    for (const event of events) await tx.apply(event);
    return tx;
  }
}
