import { isDeepStrictEqual } from 'node:util';
import { comparePositions, sortablePosition } from '../src/core/events.js';
import type { EventStore } from '../src/core/event-store.js';
import type { ReadModelDifference } from '../src/core/replays.js';
import { APPLIED, type Doc, type ReadStore } from '../src/core/read-store.js';
import { type Projection, tombstones } from './projection.js';
import { catchUp, type CatchUpOptions, ScratchModel } from './scratch.js';
import { diffDocuments } from './differences.js';

const VERIFY_SUFFIX = '__verify';
const PAGE = 1000;
/** How many times a document the live model changed past the rebuild is looked at again before it counts as a difference. */
const ROUNDS = 20;
const ROUND_PAUSE_MS = 100;

export interface VerifyOptions extends Pick<CatchUpOptions, 'stopped'> {
  /** Events the scratch rebuild has applied (in its common pass), and where it is. */
  onRebuild?: (events: number, position: string) => void;
  /** A projection's comparison begins (`done` false) or ends (`done` true, with its differences). */
  onCompare?: (projection: string, done: boolean, differences: number) => void;
}

/**
 * Rebuilds each read model into scratch collections and compares them, document by document and field by
 * field, with the live ones as a reader sees them (without their `_pos`).
 *
 * The live models may be moving (Sluice running). So the scratch copy is rebuilt up to the live checkpoint
 * read just before the comparison, and a document that differs is looked at again: it is a difference only
 * when the live document (or its deletion) is at or below the scratch copy's position, that is when both
 * show the same point in the log. One the live model changed past that point is compared again after the
 * scratch copy has caught up with the newer live checkpoint.
 */
export async function verifyReadModels(events: EventStore, store: ReadStore, projections: Projection[], options: VerifyOptions = {}): Promise<ReadModelDifference[]> {
  const models = projections.map((p) => new ScratchModel(store, p, VERIFY_SUFFIX));
  try {
    for (const model of models) await model.reset();
    // One pass over the log up to the position every live model has reached; each goes on alone from there.
    const checkpoints = await Promise.all(projections.map((p) => store.checkpoint(p.name)));
    const started = models.filter((_, i) => checkpoints[i] !== null);
    const common = checkpoints.filter((c): c is string => c !== null).reduce<string | undefined>((a, b) => (a === undefined || comparePositions(b, a) < 0 ? b : a), undefined);
    if (common !== undefined) await catchUp(events, started, { until: common, onProgress: options.onRebuild, stopped: options.stopped });
    const differences: ReadModelDifference[] = [];
    for (const model of models) {
      options.onCompare?.(model.projection.name, false, 0);
      const found = await verifyOne(events, store, model, options);
      differences.push(...found);
      options.onCompare?.(model.projection.name, true, found.length);
    }
    return differences;
  } finally {
    for (const model of models) await model.drop().catch(() => undefined);
  }
}

type Key = { collection: string; id: string };

async function verifyOne(events: EventStore, store: ReadStore, model: ScratchModel, options: VerifyOptions): Promise<ReadModelDifference[]> {
  const p = model.projection;
  await catchUpToLive(events, store, model, options);
  // A retention drops old documents from the live model hourly and keeps them out of rebuilds: both as of now.
  const now = new Date();
  await p.expire?.(store, now);
  await p.expire?.(store, now, (collection) => model.physical(collection));
  let pending: Key[] = [];
  for (const collection of Object.keys(p.collections)) pending.push(...(await differingIds(store, collection, model.physical(collection))));
  const differences: ReadModelDifference[] = [];
  for (let round = 0; pending.length > 0; round++) {
    const last = round === ROUNDS;
    const ahead: Key[] = [];
    for (const key of pending) {
      const result = await settle(store, model, key, last);
      if (result === 'ahead') ahead.push(key);
      else differences.push(...result);
    }
    pending = ahead;
    if (pending.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, ROUND_PAUSE_MS));
    await catchUpToLive(events, store, model, options);
  }
  return differences;
}

async function catchUpToLive(events: EventStore, store: ReadStore, model: ScratchModel, options: VerifyOptions): Promise<void> {
  const live = await store.checkpoint(model.projection.name);
  if (live !== null) await catchUp(events, [model], { until: live, stopped: options.stopped });
}

/**
 * Compares one document at the scratch copy's position. 'ahead': the live model has changed it past that
 * position, so the comparison must wait (unless this is the last round, when what differs is reported).
 */
async function settle(store: ReadStore, model: ScratchModel, { collection, id }: Key, last: boolean): Promise<ReadModelDifference[] | 'ahead'> {
  const live = await store.getApplied(collection, id);
  const liveAt = live ? live[APPLIED] : (await store.getApplied(tombstones(model.projection), `${collection}/${id}`))?.[APPLIED];
  const scratchAt = model.position === undefined ? '' : sortablePosition(model.position);
  if (!last && typeof liveAt === 'string' && liveAt > scratchAt) return 'ahead';
  const rebuilt = await store.get(model.physical(collection), id);
  return diffDocuments(collection, id, live && withoutApplied(live), rebuilt);
}

/** Walks both collections in id order, side by side, and names the documents that are not equal. */
async function differingIds(store: ReadStore, live: string, rebuilt: string): Promise<Key[]> {
  const differing: Key[] = [];
  const a = pager(store, live);
  const b = pager(store, rebuilt);
  let [x, y] = [await a.next(), await b.next()];
  while (x || y) {
    if (x && (!y || x.id < y.id)) {
      differing.push({ collection: live, id: x.id });
      x = await a.next();
    } else if (y && (!x || y.id < x.id)) {
      differing.push({ collection: live, id: y.id });
      y = await b.next();
    } else {
      if (!isDeepStrictEqual(x, y)) differing.push({ collection: live, id: x!.id });
      [x, y] = [await a.next(), await b.next()];
    }
  }
  return differing;
}

/**
 * The documents of a collection one at a time, read a page at a time in id order. Pages follow on by an id
 * range rather than a cursor: a range on the primary key is a seek in every store.
 */
function pager(store: ReadStore, collection: string): { next(): Promise<Doc | undefined> } {
  let page: Doc[] = [];
  let at = 0;
  let done = false;
  return {
    async next() {
      while (at === page.length && !done) {
        const after = page.at(-1)?.id;
        page = (await store.find(collection, { filter: after === undefined ? {} : { id: { $gt: after } }, limit: PAGE })).items;
        at = 0;
        done = page.length < PAGE;
      }
      return page[at++];
    },
  };
}

function withoutApplied(doc: Doc): Doc {
  const { [APPLIED]: _applied, ...rest } = doc;
  return rest as Doc;
}
