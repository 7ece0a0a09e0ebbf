/** How far the read models have caught up: queries wait on it to read their own writes. */
export interface ReadModelProgress {
  /** Resolves once every read model has applied the event at `position` (or after the timeout). */
  waitFor(position: string | undefined, timeoutMs?: number): Promise<void>;
}

export const READ_MODEL_PROGRESS = Symbol('ReadModelProgress');
