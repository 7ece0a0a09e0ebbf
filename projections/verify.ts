import { runCommand, verifyAndReport } from './cli.js';
import { projectionsFor } from './index.js';

/**
 * `npm run verify`: rebuilds every read model into scratch collections, compares them with the live ones,
 * prints each difference (collection, document id, field, live value, rebuilt value) and exits 1 when there
 * is any, 0 otherwise. Safe while Sluice runs: see verifyReadModels for how a moving read model is compared.
 */
await runCommand('verify', (events, reads, settings) => verifyAndReport(events, reads, projectionsFor(settings)));
