import { DomainError, type ErrorCode } from './errors.js';
import type { RecordedEvent } from './events.js';
import type { Doc, ReadStore } from './read-store.js';

/** Where one projection stands: its checkpoint against the log's newest position, and why it is stuck if it is. */
export interface ProjectionStatus {
  name: string;
  checkpoint: string | null;
  /** The log's newest position. */
  head: string | null;
  behind: boolean;
  /** How many events the checkpoint trails the log by, where positions count events (the embedded log). */
  eventsBehind?: number;
  /** Whether this instance runs the projection (holds its lease) rather than following another's checkpoint. */
  leader: boolean;
  /** An event it cannot apply: it retries with backoff and never skips it. */
  stalled?: { reason: string; since: string; position?: string; type?: string };
}

/** How far the read models have caught up: queries wait on it to read their own writes. */
export interface ReadModelProgress {
  /** Resolves true once every read model has applied the event at `position`; false after the timeout. */
  waitFor(position: string | undefined, timeoutMs?: number): Promise<boolean>;
  status(): Promise<ProjectionStatus[]>;
  /**
   * Calls `listener` with each batch of events once the read models have it, on the instance that applies
   * them (the one holding the projections' lease): a reaction need not wait for its next poll. Answers the unsubscribe.
   */
  onApplied(listener: (events: RecordedEvent[]) => void): () => void;
}

export const READ_MODEL_PROGRESS = Symbol('ReadModelProgress');

/** The read models had not reached a write's position in time: the write happened, the answer is not ready. */
export class ReadModelBehindError extends DomainError {
  constructor(readonly position: string) {
    super('READ_MODEL.BEHIND', `Accepted at position ${position}; the read models have not caught up with it yet, ask again shortly`);
    this.name = 'ReadModelBehindError';
  }
}

/** Waits for the read models to reach `position`, or says they have not. */
export async function readYourWrite(progress: ReadModelProgress, position: string | undefined): Promise<void> {
  if (position !== undefined && !(await progress.waitFor(position))) throw new ReadModelBehindError(position);
}

/** One document once the read models have reached `after` (read your own writes); `notFound` when there is none. */
export async function readDocument<T extends Doc>(
  progress: ReadModelProgress,
  store: ReadStore,
  found: { collection: string; id: string; after?: string },
  notFound: [code: ErrorCode, what: string],
): Promise<T> {
  await readYourWrite(progress, found.after);
  const doc = await store.get<T>(found.collection, found.id);
  if (!doc) throw new DomainError(notFound[0], `${notFound[1]} ${found.id} not found`);
  return doc;
}
