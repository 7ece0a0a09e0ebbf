import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { LIMITS } from '../../core/limits.js';

export interface FieldOptions {
  /** `null` clears the value (the model allows it to be empty); otherwise `null` is refused like a wrong type. */
  nullable?: boolean;
}

/**
 * An absent field leaves the value as it is. `null` is validated like any other value (and so refused) unless
 * the field is nullable: class-validator's IsOptional would let `null` through to the deciders.
 */
export const OptionalField = ({ nullable = false }: FieldOptions = {}) => (nullable ? IsOptional() : ValidateIf((_, value) => value !== undefined));

/** Optional field decorators: validation and Swagger schema in one line each. */
export const OptionalBoolean = (description: string) =>
  applyDecorators(OptionalField(), IsBoolean(), ApiPropertyOptional({ type: Boolean, description }));

export const OptionalInt = (description: string, min: number, max = Number.MAX_SAFE_INTEGER, example?: number, options: FieldOptions = {}) =>
  applyDecorators(
    OptionalField(options),
    IsInt(),
    Min(min),
    Max(max),
    ApiPropertyOptional({ type: Number, description, minimum: min, example, nullable: options.nullable }),
  );

export const OptionalString = (description: string, example?: string, options: FieldOptions = {}) =>
  applyDecorators(OptionalField(options), IsString(), ApiPropertyOptional({ type: String, description, example, nullable: options.nullable }));

export const OptionalOneOf = (values: readonly (string | number)[], description: string, options: FieldOptions = {}) =>
  applyDecorators(
    OptionalField(options),
    IsIn(values as unknown[], { message: `$property must be one of: ${values.join(', ')}` }),
    ApiPropertyOptional({ enum: values, description, nullable: options.nullable }),
  );

export const OptionalDate = (description: string) =>
  applyDecorators(
    OptionalField({ nullable: true }),
    Matches(/^\d{4}-\d{2}-\d{2}$/, { message: '$property must be a date in the form yyyy-MM-dd' }),
    ApiPropertyOptional({ type: String, format: 'date', description, example: '2026-01-01', nullable: true }),
  );

export const RequiredString = (description: string, example: string) =>
  applyDecorators(IsString(), ApiProperty({ type: String, description, example }));

/** A job or connection name: required unless `optional`; at most LIMITS.nameLength characters. */
export const Name = (description: string, example: string, { optional = false } = {}) =>
  applyDecorators(
    ...(optional ? [OptionalField()] : []),
    IsString(),
    MaxLength(LIMITS.nameLength, { message: `$property must be at most ${LIMITS.nameLength} characters long` }),
    (optional ? ApiPropertyOptional : ApiProperty)({ type: String, description, example, maxLength: LIMITS.nameLength }),
  );

/** A task query: at most LIMITS.queryLength characters. */
export const Query = (description: string, { optional = false } = {}) =>
  applyDecorators(
    ...(optional ? [OptionalField()] : []),
    IsString(),
    MaxLength(LIMITS.queryLength, { message: `$property must be at most ${LIMITS.queryLength} characters long` }),
    (optional ? ApiPropertyOptional : ApiProperty)({
      type: String,
      description,
      example: 'REPLICATE [Accounts] SELECT * FROM [Accounts]',
      maxLength: LIMITS.queryLength,
    }),
  );
