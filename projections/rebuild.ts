import type { EventStore } from '../src/core/event-store.js';
import type { ReadStore } from '../src/core/read-store.js';
import type { Projection } from './projection.js';
import { type CatchUpOptions, catchUp, ScratchModel } from './scratch.js';

const REBUILD_SUFFIX = '__rebuild';

/**
 * Rebuilds read models from position 0 into fresh collections in one pass over the log, then swaps each
 * in with its new checkpoint. A live runner in this or another process notices the moved checkpoint and
 * follows on from it.
 */
export async function rebuildAndSwap(events: EventStore, store: ReadStore, projections: Projection[], options: CatchUpOptions = {}): Promise<ScratchModel[]> {
  const models = projections.map((p) => new ScratchModel(store, p, REBUILD_SUFFIX));
  for (const model of models) await model.reset();
  try {
    await catchUp(events, models, options);
  } catch (error) {
    for (const model of models) await model.drop().catch(() => undefined);
    throw error;
  }
  for (const model of models) await model.swapIn();
  return models;
}
