import type { EventMetadata } from './events.js';

/** What an upcaster sees and returns: an event's payload and metadata, in one schema version's shape. */
export interface StoredShape {
  data: unknown;
  metadata: EventMetadata;
}

/**
 * Turns one event type's shape at `fromVersion` into the shape at `fromVersion + 1`. Events are never
 * rewritten: every read passes stored events through the chain up to the type's current version.
 */
export interface Upcaster {
  type: string;
  fromVersion: number;
  up(event: StoredShape): StoredShape;
}
