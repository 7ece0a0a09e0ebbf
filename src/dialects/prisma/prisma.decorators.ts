import { applyDecorators, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { dataSyncScope } from '../../datasyncs/datasync.model.js';
import { type Access, Roles } from '../../http/access.js';
import { AcceptsCredentials, schemaOf } from '../../http/api-docs.js';
import { Dialect } from '../../http/command-context.js';
import { EDN, toEdn } from '../../http/edn.js';
import { PrismaErrorFilter } from './prisma-errors.js';
import { AUTH_FAILED, PrismaGuard } from './prisma.guard.js';

/** What every Prisma route needs where the data sync's auth is on: one of its tokens, or an unscoped Operator. */
export const OPERATE_DATASYNC: Access = { role: 'Operator', resource: dataSyncScope('{datasync_id}') };

/** What every Prisma controller shares: its guard (data sync first, then its token), the role of each route, plain-text errors. */
export const PrismaController = (tag: string, access: Record<string, Access>) =>
  applyDecorators(ApiTags(tag), Dialect('prisma'), AcceptsCredentials('datasync-basic', 'bearer'), Roles(access), UseGuards(PrismaGuard), UseFilters(PrismaErrorFilter));

export const DataSyncIdParam = () =>
  ApiParam({ name: 'datasync_id', description: "The data sync's id (POST /v1/data-syncs answers it)", example: '0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21' });

export const ApiText = (status: number, description: string, example: string) =>
  ApiResponse({ status, description, content: { 'text/plain': { schema: { type: 'string' }, example } } });

export const ApiCsv = (description: string) =>
  ApiResponse({ status: 200, description, content: { 'text/csv': { schema: { type: 'string', format: 'binary' }, example: 'email,name\nada@example.com,Ada\n' } } });

/** An upload's body as Swagger UI's "Try it out" sends it: a form with the CSV in the field `file`. */
export const ApiUpload = () =>
  applyDecorators(
    ApiConsumes('multipart/form-data'),
    ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary', description: 'The CSV, with a header row' } } } }),
  );

/** An answer in EDN (the default) or JSON, documented in both. */
export const ApiNegotiated = (description: string, example: unknown) =>
  ApiResponse({
    status: 200,
    description: `${description}. EDN unless Accept (or, without Accept, Content-Type) asks for application/json`,
    content: { [EDN]: { schema: { type: 'string' }, example: toEdn(example) }, 'application/json': { schema: schemaOf(example), example } },
  });

/**
 * The errors every Prisma route can answer, as plain text: 404 for an unknown data sync, 403 for a refused
 * credential (the seed's words), 429 after too many failed ones. The 401 every guarded route gets documented
 * is taken here, to say Prisma never answers it.
 */
export const ApiPrismaErrors = (...more: Array<[status: number, description: string, example: string]>) =>
  applyDecorators(
    ApiText(404, 'No such data sync (or launch, or file)', 'Data sync 0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21 not found'),
    ApiText(403, 'The data sync has auth on and the credential is missing, wrong, revoked or not for it', `${AUTH_FAILED}: the token is not valid`),
    ApiResponse({ status: 401, description: 'Never answered: a missing or refused credential is a 403 on these routes' }),
    ApiText(429, 'Too many failed sign-ins from this address; Retry-After says when to try again', 'Too many failed sign-ins; try again in 60 seconds'),
    ApiText(202, 'The data sync was created a moment ago and the read models have not caught up with it yet: ask again shortly', 'Data sync 0b6e3c55-… is being created; ask again shortly'),
    ...more.map(([status, description, example]) => ApiText(status, description, example)),
  );
