import 'reflect-metadata';
import type { EventStore } from '../src/core/event-store.js';
import type { ReadStore } from '../src/core/read-store.js';
import type { ReadModelDifference } from '../src/core/replays.js';
import { loadSettings, type Settings } from '../src/config/settings.js';
import { UPCASTERS } from '../src/event-schemas.js';
import { openEventStore, openReadStore } from '../src/infrastructure/stores.module.js';
import { WHOLE_DOCUMENT } from './differences.js';
import { progress } from './progress.js';
import { takeReplayLease } from './replay-lease.js';
import { verifyReadModels } from './verification.js';
import type { Projection } from './projection.js';

/**
 * Runs `work` on the configured stores (the same settings as the service) while holding the replay lease,
 * and exits with the code it returns: 2 when another replay or verify holds the lease.
 */
export async function runCommand(what: string, work: (events: EventStore, reads: ReadStore, settings: Settings) => Promise<number>): Promise<never> {
  const settings = loadSettings();
  const events = openEventStore(settings, UPCASTERS);
  const reads = openReadStore(settings);
  let code = 1;
  try {
    const lease = await takeReplayLease(reads, what);
    if ('heldBy' in lease) {
      console.error(`Another replay or verify is running (${lease.heldBy}); try again when it has finished.`);
      code = 2;
    } else {
      try {
        code = await work(events, reads, settings);
      } finally {
        await lease.release();
      }
    }
  } catch (error) {
    console.error(`${what} failed: ${(error as Error).stack ?? error}`);
  } finally {
    await events.close();
    await reads.close();
  }
  process.exit(code);
}

/** Verifies the read models against a rebuild, prints each difference, and answers the exit code (1: some differ). */
export async function verifyAndReport(events: EventStore, reads: ReadStore, projections: Projection[]): Promise<number> {
  const bar = progress('verify rebuild', await events.lastPosition());
  // The bar shows the common rebuild; the comparisons after it print a line per read model.
  let endBar = () => {
    bar.stop();
    endBar = () => undefined;
  };
  const differences = await verifyReadModels(events, reads, projections, {
    onRebuild: (n, position) => bar.update(n, position),
    onCompare: (name, done, found) => {
      endBar();
      if (done) console.error(`${name}: ${found === 0 ? 'same as a rebuild' : `${found} difference(s)`}`);
    },
  });
  endBar();
  for (const d of differences) console.log(describe(d));
  console.log(differences.length === 0 ? 'Verified: every read model equals a rebuild from the event log.' : `${differences.length} difference(s) between the live read models and a rebuild.`);
  return differences.length === 0 ? 0 : 1;
}

function describe({ collection, id, field, live, rebuilt }: ReadModelDifference): string {
  const show = (v: unknown) => (v === undefined ? '(missing)' : JSON.stringify(v));
  if (field === WHOLE_DOCUMENT) return `${collection} ${id}: live ${live}, rebuilt ${rebuilt}`;
  return `${collection} ${id} ${field}: live ${show(live)}, rebuilt ${show(rebuilt)}`;
}
