import { DomainError } from './errors.js';

/** One field in which a live read-model document and its rebuilt copy differ. */
export interface ReadModelDifference {
  collection: string;
  id: string;
  /** A dotted path (`settings.batch_size`, `steps.0.status`), or `(document)` when one side has no such document. */
  field: string;
  live: unknown;
  rebuilt: unknown;
}

/** Where one projection's part of a replay stands. */
export interface ProjectionReplayProgress {
  name: string;
  /** `verifying`: swapped in, and being compared with a second rebuild. */
  phase: 'waiting' | 'rebuilding' | 'verifying' | 'verified' | 'differs' | 'failed';
  /** Events applied by the rebuild so far. */
  events: number;
  /** Position of the last event applied, null before the first. */
  position: string | null;
  /** The log's newest position when the replay began: the rebuild reads at least this far. */
  total: string | null;
  /** Differences the verification found (once it has run). */
  differences?: number;
}

/** A replay started through the API: rebuild, swap in, then verify the swapped-in copies. */
export interface Replay {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  requestedBy: string;
  startedAt: string;
  finishedAt: string | null;
  projections: ProjectionReplayProgress[];
  /** Once finished: whether the copies were swapped in and verified, or why not. */
  result: { swapped: boolean; verified: boolean; reason?: string; differences: ReadModelDifference[] } | null;
}

/** Replays of the read models inside the running service, one at a time. */
export interface Replays {
  /** Starts a replay of the named projections (all when omitted) and answers at once. */
  start(projections: string[] | undefined, requestedBy: string): Promise<Replay>;
  get(id: string): Replay;
}

export const REPLAYS = Symbol('Replays');

export class ReplayRunningError extends DomainError {
  constructor(detail: string) {
    super('REPLAY.RUNNING', `A replay is already running (${detail}); ask again when it has finished`);
  }
}

export class ReplayNotFoundError extends DomainError {
  constructor(id: string) {
    super('REPLAY.NOT_FOUND', `No replay ${id} (replays are kept in memory: a restart forgets them)`);
  }
}

export class UnknownProjectionError extends DomainError {
  constructor(names: string[], known: string[]) {
    super('REPLAY.UNKNOWN_PROJECTION', `Unknown projection ${names.join(', ')}; known: ${known.join(', ')}`, 'projections');
  }
}
