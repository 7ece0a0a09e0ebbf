import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

/** Optional field decorators: validation and Swagger schema in one line each. */
export const OptionalBoolean = (description: string) =>
  applyDecorators(IsOptional(), IsBoolean(), ApiPropertyOptional({ type: Boolean, description }));

export const OptionalInt = (description: string, min: number, max = Number.MAX_SAFE_INTEGER, example?: number) =>
  applyDecorators(IsOptional(), IsInt(), Min(min), Max(max), ApiPropertyOptional({ type: Number, description, minimum: min, example }));

export const OptionalString = (description: string, example?: string) =>
  applyDecorators(IsOptional(), IsString(), ApiPropertyOptional({ type: String, description, example }));

export const OptionalOneOf = (values: readonly (string | number)[], description: string) =>
  applyDecorators(
    IsOptional(),
    IsIn(values as unknown[], { message: `$property must be one of: ${values.join(', ')}` }),
    ApiPropertyOptional({ enum: values, description }),
  );

export const OptionalDate = (description: string) =>
  applyDecorators(
    IsOptional(),
    Matches(/^\d{4}-\d{2}-\d{2}$/, { message: '$property must be a date in the form yyyy-MM-dd' }),
    ApiPropertyOptional({ type: String, format: 'date', description, example: '2026-01-01' }),
  );

export const RequiredString = (description: string, example: string) =>
  applyDecorators(IsString(), ApiProperty({ type: String, description, example }));
