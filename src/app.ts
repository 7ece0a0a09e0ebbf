import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module.js';
import type { Settings } from './config/settings.js';
import { LIMITS } from './core/limits.js';
import { documentRoutes } from './http/api-docs.js';
import { bodyParsers } from './http/body.js';
import { ednAnswers } from './http/edn.js';
import { JsonErrorFilter } from './http/error.filter.js';

/** Builds the whole app (used by main.ts and the e2e tests): EDN negotiation, errors, Swagger at /docs. */
export async function createApp(settings: Settings, options: { logger?: false } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.create(settings), {
    logger: options.logger,
    bodyParser: false,
  });
  // Sign-ins are throttled and logged by client address: behind a proxy, only a trusted one may name it.
  if (settings.trustProxy !== undefined) app.set('trust proxy', settings.trustProxy);
  app.use(ednAnswers);
  app.use(bodyParsers(settings.maxBodyKb));
  app.useGlobalFilters(new JsonErrorFilter());
  app.enableShutdownHooks();
  // Node's requestTimeout (5 minutes to receive a request) holds for every route; a data sync's upload, which
  // may take longer over a slow link, gets its own (src/dialects/prisma/prisma-upload.ts).
  const config = new DocumentBuilder()
    .setTitle('Sluice')
    .setDescription(
      'Control plane for data-sync jobs. Speaks CData Sync v2 under /api.rsc/v2; Sluice\'s own routes are under /v1. ' +
        'Every JSON answer is also available as EDN with `Accept: application/edn`; bodies may be sent as EDN with `Content-Type: application/edn`. ' +
        `Bodies are at most ${settings.maxBodyKb} KB (413 beyond) and nest at most ${LIMITS.depth} deep; any other media type is a 415.`,
    )
    .setVersion('0.1.0')
    .build();
  // Built now rather than on the first visit to /docs: a route that declares no access stops the start.
  SwaggerModule.setup('docs', app, documentRoutes(SwaggerModule.createDocument(app, config)), { jsonDocumentUrl: 'docs-json' });
  return app;
}
