import { runCommand, verifyAndReport } from './cli.js';
import { projectionsFor } from './index.js';
import { progress } from './progress.js';
import { rebuildAndSwap } from './rebuild.js';

/**
 * `npm run replay`: rebuilds every read model from position 0 into fresh collections (one pass over the
 * log) and swaps them in, then verifies the swapped-in copies (exit 1 if they differ from a second
 * rebuild). Safe while Sluice runs: the live runner sees the moved checkpoints and follows on from them.
 */
await runCommand('replay', async (events, reads, settings) => {
  const projections = projectionsFor(settings);
  const head = await events.lastPosition();
  const bar = progress('replay', head);
  const started = process.hrtime.bigint();
  const models = await rebuildAndSwap(events, reads, projections, { onProgress: (n, position) => bar.update(n, position) });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  bar.stop();
  // One pass feeds every read model, so they share the time.
  console.table(models.map((m) => ({ projection: m.projection.name, events: m.events, seconds: seconds.toFixed(2), 'events/s': Math.round(m.events / seconds) })));
  return verifyAndReport(events, reads, projections);
});
