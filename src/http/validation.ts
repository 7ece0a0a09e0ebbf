import { BadRequestException, type PipeTransform, ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';

/** Validation errors as one message that names every field at fault, nested ones by their path. */
function flatten(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => m.replace(e.property, path));
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

const validation = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors) => new BadRequestException(flatten(errors).join('; ')),
});

/** Strict validation; the `@authtoken` query parameter belongs to the auth guard, not to any query DTO. */
export const strictValidation: PipeTransform = {
  transform(value: unknown, metadata: ArgumentMetadata) {
    if (metadata.type === 'query' && value && typeof value === 'object' && '@authtoken' in value) {
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
    const normalized = metadata.type === 'body' ? this.normalize(value) : value;
    return strictValidation.transform(normalized, metadata);
  }

  private normalize(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.normalize(v));
    if (!value || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.names.get(compact(k)) ?? k, this.normalize(v)]));
  }
}
