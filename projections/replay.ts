import 'reflect-metadata';
import { SingleBar, Presets } from 'cli-progress';
import { loadSettings } from '../src/config/settings.js';
import { UPCASTERS } from '../src/event-schemas.js';
import { openEventStore, openReadStore } from '../src/infrastructure/stores.module.js';
import { projectionsFor } from './index.js';
import { ProjectionRunner } from './runner.js';

/**
 * `npm run replay`: rebuilds every read model from position 0 into fresh collections and swaps them in,
 * with a progress bar per projection and the events/s each reached. Safe while Sluice runs: the live
 * runner sees the moved checkpoint and follows on from it.
 */
const settings = loadSettings();
const events = openEventStore(settings, UPCASTERS);
const reads = openReadStore(settings);
const runner = new ProjectionRunner(events, reads, projectionsFor(settings));
const head = await events.lastPosition();
// Progress is measured in log positions, which both stores order (SQLite: event number; EventStoreDB: bytes).
const total = head ? Number(head.split('/')[0]) : 0;
const rows: Array<{ projection: string; events: number; seconds: string; 'events/s': number }> = [];

for (const projection of runner.projections) {
  const bar = new SingleBar({ format: `${projection.name.padEnd(12)} {bar} {percentage}% | {events} events | {eta}s left`, etaBuffer: 50 }, Presets.shades_classic);
  bar.start(Math.max(total, 1), 0, { events: 0 });
  const started = process.hrtime.bigint();
  const { events: count } = await runner.rebuild(projection, (n, position) => bar.update(Number(position.split('/')[0]), { events: n }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  bar.update(Math.max(total, 1));
  bar.stop();
  rows.push({ projection: projection.name, events: count, seconds: seconds.toFixed(2), 'events/s': Math.round(count / seconds) });
}
console.table(rows);
await events.close();
await reads.close();
