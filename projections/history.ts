import type { EventStore } from '../src/core/event-store.js';
import type { DocAsOf, ReadModelHistory } from '../src/core/read-model-history.js';
import type { Doc } from '../src/core/read-store.js';
import { type Projection, ProjectionTx } from './projection.js';
import { StreamStates } from './stream-states.js';

/** A read store with nothing in it: the fold for `as_of` starts from no documents. */
const NOTHING_YET = { getApplied: async () => null };

/** Answers `as_of` by folding one stream, up to that moment, through the same projection the live read model uses. */
export class ProjectionHistory implements ReadModelHistory {
  constructor(
    private readonly events: EventStore,
    private readonly projections: Projection[],
  ) {}

  async asOf<T extends Doc>(collection: string, id: string, stream: string, at: string): Promise<DocAsOf<T> | null> {
    const projection = this.projections.find((p) => collection in p.collections);
    if (!projection) throw new Error(`No projection owns the collection ${collection}`);
    const tx = new ProjectionTx(NOTHING_YET, projection, { streams: new StreamStates(this.events) });
    let last: DocAsOf<T> | null = null;
    for (const event of await this.events.readStream(stream)) {
      // Event times within a stream rise with it, but instances' clocks may disagree: filter, do not stop.
      if (event.metadata.occurredAt > at) continue;
      await tx.apply(event);
      const doc = await tx.get<T>(collection, id);
      if (doc) last = { doc };
      else if (last && !last.deletedAt) last = { doc: last.doc, deletedAt: event.metadata.occurredAt };
    }
    return last;
  }
}
