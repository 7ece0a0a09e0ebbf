import 'reflect-metadata';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { createApp } from './app.js';
import { loadSettings } from './config/settings.js';

/** A configuration Sluice cannot start with stops it with one line saying what and where (a path, a place in the config file). */
function stop(error: unknown): never {
  console.error(`Sluice cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

const settings = (() => {
  try {
    return loadSettings();
  } catch (error) {
    return stop(error);
  }
})();
const app = await createApp(settings).catch(stop);
// Listening bootstraps the modules, which apply the config file: a file that cannot be applied stops here.
await app.listen(settings.port).catch(stop);
const url = `http://localhost:${settings.port}`;
const logger = new Logger('Sluice');
logger.log(`Listening on ${url}; Swagger UI at ${url}/docs (spec at ${url}/docs-json)`);
if (settings.adminTokenGenerated) {
  // The token itself never goes to the log: logs are collected and kept where the token must not be.
  logger.log(`Generated an admin token; read it from ${join(settings.dataDir, 'admin-token')} (mode 0600) or set SLUICE_ADMIN_TOKEN`);
} else {
  logger.log(`Admin token: from ${process.env.SLUICE_ADMIN_TOKEN ? 'SLUICE_ADMIN_TOKEN' : `${settings.dataDir}/admin-token`}`);
}
logger.log(`Connection secrets are sealed with the key from ${settings.secretKeySource} (id ${settings.secretKeys.currentId}); back it up with the event log`);
if (settings.eventStoreUrl && settings.secretKeySource !== 'SLUICE_SECRET_KEY') {
  logger.warn('With a shared event store every instance needs the same key: set SLUICE_SECRET_KEY on each, or they cannot open each other\'s secrets');
}
