/** Who caused an event and when: written by the write path, never by deciders. */
export interface EventMetadata {
  actor: string;
  correlationId: string;
  /** What caused it: the command, or for a run's events the RunQueued event that queued the run. */
  causationId?: string;
  occurredAt: string;
  /** The shape of `data`; events stored before versions were recorded count as 1. */
  schemaVersion: number;
  /** The API a request came through (`cdata`, `sluice`, …) and its route; absent for the scheduler's and workers' events. */
  via?: Via;
}

export interface Via {
  dialect: string;
  /** Method and route pattern, e.g. `POST /api.rsc/v2/workspaces/:workspace_id/jobs`. */
  route: string;
}

/** What a decider returns: a past-tense fact with its payload. */
export interface DomainEvent<T extends string = string, D = unknown> {
  type: T;
  data: D;
}

export interface NewEvent extends DomainEvent {
  id: string;
  metadata: EventMetadata;
}

/**
 * An event as stored. `revision` is its 0-based place in its stream; `position` its place in the
 * whole log, an opaque string (a bigint, or EventStoreDB's "commit/prepare") compared with comparePositions.
 */
export interface RecordedEvent extends NewEvent {
  stream: string;
  revision: number;
  position: string;
}

export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

/** Orders two global positions; undefined (the start of the log) is before everything. */
export function comparePositions(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  const pa = a.split('/').map(BigInt);
  const pb = b.split('/').map(BigInt);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0n;
    const y = pb[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** A position as a fixed-width string, so stores can compare positions as plain strings. */
export function sortablePosition(position: string): string {
  // Every projection asks for every event's: the embedded store's positions have no parts to split.
  if (!position.includes('/')) return position.padStart(20, '0');
  return position
    .split('/')
    .map((part) => part.padStart(20, '0'))
    .join('/');
}
