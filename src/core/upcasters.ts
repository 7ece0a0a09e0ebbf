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

/**
 * Rewrites the envelope of every event, whatever its type or version: for a change to what metadata means,
 * such as how actors are named. It sees metadata in every shape ever written, so it must recognise the old
 * form by its value and leave the current form as it is.
 */
export interface MetadataUpcaster {
  metadata(metadata: EventMetadata): EventMetadata;
}

/** What the upcaster list holds: per-type upcasters and envelope (metadata) upcasters. */
export type AnyUpcaster = Upcaster | MetadataUpcaster;

/** Each event type's current schema version, and the chain of upcasters that brings an older event up to it. */
export class EventSchemas {
  private readonly chains = new Map<string, Map<number, Upcaster>>();
  private readonly envelopes: MetadataUpcaster[];

  constructor(upcasters: readonly AnyUpcaster[]) {
    this.envelopes = upcasters.filter((u): u is MetadataUpcaster => 'metadata' in u);
    for (const u of upcasters.filter((u): u is Upcaster => 'type' in u)) {
      const chain = this.chains.get(u.type) ?? new Map<number, Upcaster>();
      if (chain.has(u.fromVersion)) throw new Error(`Two upcasters for ${u.type} from version ${u.fromVersion}`);
      this.chains.set(u.type, chain.set(u.fromVersion, u));
    }
    for (const [type, chain] of this.chains) {
      for (let v = 1; v < this.versionOf(type); v++) if (!chain.has(v)) throw new Error(`No upcaster for ${type} from version ${v}`);
    }
  }

  /** One more than the highest version an upcaster starts from; 1 for a type that never changed shape. */
  versionOf(type: string): number {
    const chain = this.chains.get(type);
    return chain ? Math.max(...chain.keys()) + 1 : 1;
  }

  /** The event in its type's current shape. An event stored without a schema version is version 1. */
  upcast<E extends StoredShape & { type: string }>(stored: E): E {
    const event = this.envelopes.length ? { ...stored, metadata: this.envelopes.reduce((m, u) => u.metadata(m), stored.metadata) } : stored;
    const current = this.versionOf(event.type);
    let version = event.metadata.schemaVersion ?? 1;
    if (version >= current) return event;
    let shape: StoredShape = { data: event.data, metadata: event.metadata };
    for (; version < current; version++) {
      shape = this.chains.get(event.type)!.get(version)!.up(shape);
    }
    return { ...event, data: shape.data, metadata: { ...shape.metadata, schemaVersion: current } };
  }
}
