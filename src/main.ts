import 'reflect-metadata';
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
  logger.log(`Generated an admin token (kept in ${settings.dataDir}/admin-token): ${settings.adminToken}`);
} else {
  logger.log(`Admin token: from ${process.env.SLUICE_ADMIN_TOKEN ? 'SLUICE_ADMIN_TOKEN' : `${settings.dataDir}/admin-token`}`);
}
