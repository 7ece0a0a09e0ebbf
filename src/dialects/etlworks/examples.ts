import { applyDecorators } from '@nestjs/common';
import { ApiAnswer } from '../../http/api-docs.js';

/** Etlworks' error body (see EtlworksErrorFilter), by status. */
const error = (status: number, error: string, message: string) => ({ status, error, message });

export const BAD_REQUEST = error(400, 'Bad Request', 'type must be one of stream, extract, load, task, hwm, not "cdc"');
export const NOT_FOUND = error(404, 'Not Found', 'Job 0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21 not found');
export const UNAUTHORIZED = error(401, 'Unauthorized', 'The token has expired');
export const FORBIDDEN = error(403, 'Forbidden', 'Needs the Administrator role. user:ada has Viewer');
export const THROTTLED = error(429, 'Too Many Requests', 'Too many failed sign-ins from 10.0.0.7; try again in 42 s');

/** The answers of a route that takes the JWT: 401, 403 where it needs a role, 429. */
export const AUTH_ANSWERS = (needsRole: boolean) =>
  applyDecorators(
    ApiAnswer(401, 'A token that is missing, malformed, expired or not signed by this Sluice', UNAUTHORIZED),
    ...(needsRole ? [ApiAnswer(403, "The token's user lacks the role the route needs", FORBIDDEN)] : []),
    ApiAnswer(429, 'Too many failed sign-ins from this address; Retry-After says when to try again', THROTTLED),
  );

/** The answers of a route that takes a body, in Etlworks' error shape. */
export const BODY_ANSWERS = () =>
  applyDecorators(
    ApiAnswer(413, 'The body is larger than SLUICE_MAX_BODY_KB', error(413, 'Payload Too Large', 'The request body is larger than 1024 KB (SLUICE_MAX_BODY_KB)')),
    ApiAnswer(415, 'The body is neither application/json nor application/edn', error(415, 'Unsupported Media Type', 'Bodies are read as application/json or application/edn; this one is text/plain')),
  );
