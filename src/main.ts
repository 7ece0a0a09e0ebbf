import 'reflect-metadata';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { createApp } from './app.js';
import { loadSettings } from './config/settings.js';

const settings = loadSettings();
const app = await createApp(settings);
await app.listen(settings.port);
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
