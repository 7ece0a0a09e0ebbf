import { applyDecorators } from '@nestjs/common';
import { ApiResponse, ApiSecurity, type OpenAPIObject } from '@nestjs/swagger';
import { type Access, ACCESS_EXTENSION, describeAccess, roleOf } from './access.js';
import { EDN } from './edn.js';

type Schema = Record<string, unknown>;

/** An example object whose keys are the user's own (connection settings, event data): documented as free-form. */
class FreeForm {
  constructor(readonly example: object) {}
}
export const freeForm = (example: object): object => new FreeForm(example);

/** A JSON schema read off an example value, so every documented answer has both a schema and an example. */
export function schemaOf(example: unknown): Schema {
  if (example === null) return { nullable: true };
  if (example instanceof FreeForm) return { type: 'object', additionalProperties: true };
  if (Array.isArray(example)) return { type: 'array', items: example.length ? schemaOf(example[0]) : {} };
  switch (typeof example) {
    case 'string':
      return { type: 'string' };
    case 'number':
      return { type: Number.isInteger(example) ? 'integer' : 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'object':
      return { type: 'object', properties: Object.fromEntries(Object.entries(example as object).map(([k, v]) => [k, schemaOf(v)])) };
    default:
      return {};
  }
}

/** The example as a client sees it (free-form parts unwrapped). */
function plain(example: unknown): unknown {
  if (example instanceof FreeForm) return example.example;
  if (Array.isArray(example)) return example.map(plain);
  if (example && typeof example === 'object') return Object.fromEntries(Object.entries(example).map(([k, v]) => [k, plain(v)]));
  return example;
}

export const ApiAnswer = (status: number, description: string, example: unknown) =>
  ApiResponse({ status, description, schema: { ...schemaOf(example), example: plain(example) } });

const ERROR_TEXT: Record<number, [string, string]> = {
  400: ['VALIDATION', 'Invalid input; `field` names the field at fault'],
  401: ['UNAUTHORIZED', 'Missing or wrong credential'],
  403: ['FORBIDDEN', "The credential's roles (or its token's scope) do not allow this route"],
  404: ['JOB.NOT_FOUND', 'No such resource'],
  409: ['JOB.NAME_TAKEN', 'Conflicts with the current state, or a concurrent change'],
  413: ['BODY.TOO_LARGE', 'The body is larger than SLUICE_MAX_BODY_KB'],
  415: ['BODY.UNSUPPORTED_TYPE', 'The body is neither application/json nor application/edn'],
  429: ['AUTH.THROTTLED', 'Too many failed sign-ins from this address or for this login; Retry-After says when to try again'],
};

/** The security schemes Sluice accepts, by the names dialects list in AcceptsCredentials. */
export const SECURITY_SCHEMES = {
  'x-cdata-authtoken': { type: 'apiKey', in: 'header', name: 'x-cdata-authtoken', description: 'An API token (or the bootstrap admin token)' },
  '@authtoken': { type: 'apiKey', in: 'query', name: '@authtoken', description: 'An API token as a query parameter' },
  bearer: { type: 'http', scheme: 'bearer', description: 'An API token as Authorization: Bearer' },
  basic: { type: 'http', scheme: 'basic', description: "A user's login and password; on CData routes also any name with a token as the password" },
  token: { type: 'apiKey', in: 'query', name: 'token', description: "Jitsu's admin token as a query parameter: the config file's server.admin_token or an API token" },
  'X-Admin-Token': { type: 'apiKey', in: 'header', name: 'X-Admin-Token', description: "Jitsu's admin token as a header" },
  'etlworks-jwt': { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Etlworks: a JWT from POST /rest/v1/token-auth/issue as Authorization: Bearer' },
  'etlworks-jwt-query': { type: 'apiKey', in: 'query', name: 'Authorization', description: 'Etlworks: the same JWT as ?Authorization=Bearer%20<token>' },
  'datasync-basic': { type: 'http', scheme: 'basic', description: 'Prisma data syncs: HTTP Basic with the user name `api` and a token of the data sync (or an unscoped Operator token) as the password' },
} as const;

/** The security schemes a controller accepts, each one alternative. */
export const AcceptsCredentials = (...schemes: Array<keyof typeof SECURITY_SCHEMES>) => applyDecorators(...schemes.map((name) => ApiSecurity(name)));

/** An error answer with its own code and description, e.g. `[409, 'JOB.RUNNING', 'The job has an active run']`. */
type ErrorAnswer = number | [status: number, code: string, description: string];

/** Documents the `{"error": {code, message, field?}}` answers a route can give. */
export const ApiErrors = (...answers: ErrorAnswer[]) =>
  applyDecorators(
    ...answers.map((answer) => {
      const [status, code, description] = typeof answer === 'number' ? [answer, ...ERROR_TEXT[answer]] : answer;
      const field = status === 400 ? { field: 'name' } : {};
      return ApiAnswer(status, description, { error: { code, message: description, ...field } });
    }),
  );

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/**
 * What holds for every route, documented once: bodies and answers are JSON or EDN (the same schema), a
 * route that takes a body answers 413 for one that is too large and 415 for one of another media type, and
 * each route names the access it needs (a route without one stops the start).
 */
export function documentRoutes(document: OpenAPIObject): OpenAPIObject {
  document.components = { ...document.components, securitySchemes: { ...SECURITY_SCHEMES } };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const body = operation.requestBody;
      if (body && 'content' in body && body.content['application/json']) {
        body.content[EDN] = { schema: body.content['application/json'].schema };
        for (const status of [413, 415]) {
          const [code, description] = ERROR_TEXT[status];
          const example = { error: { code, message: description } };
          operation.responses[status] ??= { description, content: { 'application/json': { schema: { ...schemaOf(example), example } } } };
        }
      }
      documentAccess(operation, `${method.toUpperCase()} ${path}`);
      for (const response of Object.values(operation.responses)) {
        const content = response && 'content' in response ? response.content : undefined;
        if (content?.['application/json'] && !content[EDN]) content[EDN] = { schema: content['application/json'].schema };
      }
    }
  }
  return document;
}

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;

/** Names the access a route needs in its description and documents the 401/403/429 it can answer. */
function documentAccess(operation: Operation, route: string): void {
  const access = (operation as unknown as Record<string, unknown>)[ACCESS_EXTENSION] as Access | undefined;
  if (access === undefined) throw new Error(`${route} declares no role: list it in its controller's @Roles`);
  operation.description = [operation.description, describeAccess(access)].filter(Boolean).join('\n\n');
  if (access === 'Public') {
    operation.security = [];
    return;
  }
  const statuses = roleOf(access) || typeof access === 'object' ? [401, 403, 429] : [401, 429];
  for (const status of statuses) {
    const [code, description] = ERROR_TEXT[status];
    const example = { error: { code, message: description } };
    operation.responses[status] ??= { description, content: { 'application/json': { schema: { ...schemaOf(example), example } } } };
  }
}
