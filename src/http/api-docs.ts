import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

type Schema = Record<string, unknown>;

/** A JSON schema read off an example value, so every documented answer has both a schema and an example. */
export function schemaOf(example: unknown): Schema {
  if (example === null) return { nullable: true };
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

export const ApiAnswer = (status: number, description: string, example: unknown) =>
  ApiResponse({ status, description, schema: { ...schemaOf(example), example } });

const ERROR_TEXT: Record<number, [string, string]> = {
  400: ['VALIDATION', 'Invalid input; the message names the field'],
  401: ['UNAUTHORIZED', 'Missing or wrong auth token'],
  404: ['JOB.NOT_FOUND', 'No such resource'],
  409: ['JOB.NAME_TAKEN', 'Conflicts with the current state, or a concurrent change'],
};

/** Documents the `{"error": {code, message}}` answers a route can give. */
export const ApiErrors = (...statuses: number[]) =>
  applyDecorators(
    ...statuses.map((status) => {
      const [code, description] = ERROR_TEXT[status];
      return ApiAnswer(status, description, { error: { code, message: description } });
    }),
  );
