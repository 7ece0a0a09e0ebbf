import { type ArgumentMetadata, type PipeTransform, ValidationPipe, type ValidationError } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { DomainError } from '../core/errors.js';
import { LIMITS, PROTOTYPE_KEYS } from '../core/limits.js';
import { answerRefusedBody } from './body.js';

const invalid = (field: string | undefined, message: string) => new DomainError('VALIDATION', message, field || undefined);

/** Validation errors with the path of each field at fault, nested ones by their path (`schedule.cron`). */
function flatten(errors: ValidationError[], parent = ''): { field: string; message: string }[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const messages = Object.values(e.constraints ?? {}).map((m) => m.replace(e.property, field));
    const own = e.value === null && messages.length ? [`${field} must not be null`] : messages;
    return [...own.map((message) => ({ field, message })), ...flatten(e.children ?? [], field)];
  });
}

const validation = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors) => {
    const found = flatten(errors);
    return invalid(found[0]?.field, found.map((f) => f.message).join('; ') || 'Invalid input');
  },
});

/**
 * Refuses what no DTO should ever see, anywhere in a body or query: nesting deeper than LIMITS.depth, the keys
 * `__proto__`, `constructor` and `prototype`, NUL bytes, and values JSON cannot hold (bigints, NaN, dates...).
 * It walks with its own stack, so a body nested 100,000 deep is refused instead of overflowing the call stack.
 */
export function inspectInput(value: unknown, root = ''): void {
  const pending: Array<[unknown, string, number]> = [[value, root, 0]];
  while (pending.length) {
    const [v, path, depth] = pending.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\0')) throw invalid(path, `${path || 'the value'} must not contain NUL bytes`);
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw invalid(path, `${path || 'the value'} is not a number that can be stored`);
    } else if (v !== null && typeof v === 'object') {
      const proto = Object.getPrototypeOf(v);
      if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) throw invalid(path, `${path || 'the value'} cannot be stored`);
      if (depth >= LIMITS.depth) throw invalid(path, `${path || 'the body'} nests deeper than ${LIMITS.depth} levels`);
      for (const key of Object.keys(v)) {
        const at = path ? `${path}.${key}` : key;
        if (PROTOTYPE_KEYS.has(key) || key.includes('\0')) throw invalid(at, `property ${at} should not exist`);
        pending.push([(v as Record<string, unknown>)[key], at, depth + 1]);
      }
    } else if (v !== null && v !== undefined && typeof v !== 'boolean') {
      throw invalid(path, `${path || 'the value'} cannot be stored`);
    }
  }
}

/** A body is one object; an absent body is an empty one (`POST .../execute` with nothing). */
function bodyObject(value: unknown): Record<string, unknown> {
  answerRefusedBody(value);
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(undefined, 'The request body must be a JSON (or EDN) object');
  inspectInput(value);
  return value as Record<string, unknown>;
}

function checkParam(value: unknown, metadata: ArgumentMetadata): void {
  if (typeof value !== 'string') return;
  const name = metadata.data ?? 'path';
  if (value.includes('\0')) throw invalid(name, `${name} must not contain NUL bytes`);
  if (value.length > LIMITS.nameLength) throw invalid(name, `${name} must be at most ${LIMITS.nameLength} characters long`);
}

/** Strict validation; the `@authtoken` query parameter belongs to the auth guard, not to any query DTO. */
export const strictValidation: PipeTransform = {
  transform(value: unknown, metadata: ArgumentMetadata) {
    if (metadata.type === 'param') {
      checkParam(value, metadata);
      // A path parameter is a string already: the validation pipe would hand back String(value).
      if (typeof value === 'string' && (metadata.metatype === String || metadata.metatype === undefined)) return value;
    }
    if (metadata.type === 'body') return validation.transform(bodyObject(value), metadata);
    if (metadata.type === 'query' && value && typeof value === 'object') {
      inspectInput(value);
      const { '@authtoken': _token, ...rest } = value as Record<string, unknown>;
      return validation.transform(rest, metadata);
    }
    return validation.transform(value, metadata);
  },
};

const compact = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Vendor clients send keys as `Source-Connection`, `EmailErrorOnly`, `Is_Active` or `is_active`: match them to
 * the DTO's property names case- and separator-insensitively (recursively into nested objects), then validate.
 */
export class CaseInsensitiveBodyPipe implements PipeTransform {
  private readonly names = new Map<string, string>();

  constructor(dtos: Function[]) {
    const storage = getMetadataStorage();
    for (const dto of dtos) {
      for (const meta of storage.getTargetValidationMetadatas(dto, '', true, false)) this.names.set(compact(meta.propertyName), meta.propertyName);
    }
  }

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body') return strictValidation.transform(value, metadata);
    return strictValidation.transform(this.normalize(bodyObject(value), ''), metadata);
  }

  /** Safe to recurse: bodyObject has already refused anything nested deeper than LIMITS.depth. */
  private normalize(value: unknown, path: string): unknown {
    if (Array.isArray(value)) return value.map((v, i) => this.normalize(v, `${path}${path ? '.' : ''}${i}`));
    if (!value || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    const given = new Map<string, string>();
    for (const [key, v] of Object.entries(value)) {
      const name = this.names.get(compact(key)) ?? key;
      const at = path ? `${path}.${name}` : name;
      if (given.has(name)) throw invalid(at, `${at} is given twice (as "${given.get(name)}" and "${key}")`);
      given.set(name, key);
      out[name] = this.normalize(v, at);
    }
    return out;
  }
}
