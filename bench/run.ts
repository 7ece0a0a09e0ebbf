import 'reflect-metadata';
import { eventBenchmarks, type Row } from './events.bench.js';
import { importBenchmark } from './import.bench.js';
import { logBenchmarks } from './logs.bench.js';
import { replayBenchmark } from './replay.bench.js';
import { replicateBenchmark } from './replicate.bench.js';
import { tailsBenchmark } from './tails.bench.js';

/** `npm run bench`: Sluice's path beside the same work done directly on the engine below it (the ceiling). */
const rows: Row[] = [];
console.log('Event store and projections, embedded SQLite (100k events)…');
rows.push(...(await eventBenchmarks()));
console.log('Replication through a job, embedded stores…');
rows.push(...(await replicateBenchmark()));
console.log('Data sync import: a 1M-row CSV upload into SQLite…');
rows.push(...(await importBenchmark()));
console.log('Live tails: 200 SSE clients on one busy run…');
rows.push(...(await tailsBenchmark()));
console.log(`Log search, embedded read store (${process.env.BENCH_LOG_LINES || '5,000,000'} lines)…`);
rows.push(...(await logBenchmarks()));
console.log('Replay of every read model from the log, embedded SQLite (1M events; SLUICE_BENCH_REPLAY_EVENTS for fewer)…');
rows.push(...(await replayBenchmark()));
console.table(
  rows.map((r) => ({ ...r, ratio: `${((r.sluice / r.ceiling) * 100).toFixed(0)}%` })),
);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
