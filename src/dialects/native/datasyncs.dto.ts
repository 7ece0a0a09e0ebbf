import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsBoolean, IsIn, IsObject, IsOptional, IsString, IsUUID, Length, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { LIMITS } from '../../core/limits.js';
import { DATASYNC_KINDS, type DataSyncKind } from '../../datasyncs/datasync.model.js';

/** Absent leaves the value as it is; `null` is validated (and so refused) like any other value. */
const sent = ValidateIf((_, value) => value !== undefined);

const TABLE = { min: 1, max: 200 };

export class DataSyncScheduleDto {
  @sent @IsBoolean() @ApiPropertyOptional({ description: 'Launch the export on its cron schedule (exports only)', example: true })
  enabled?: boolean;

  @sent @IsString() @MaxLength(200) @ApiPropertyOptional({ description: 'Cron string: 5 fields, or 6 with seconds first', example: '0 2 * * *', maxLength: 200 })
  cron?: string;

  @sent @IsString() @MaxLength(64) @ApiPropertyOptional({ description: 'IANA time zone the cron is read in (default UTC)', example: 'Europe/Madrid', maxLength: 64 })
  timezone?: string;
}

const Name = (required: boolean) =>
  applyDecorators(
    IsString(),
    Length(1, LIMITS.nameLength, { message: `$property must be 1 to ${LIMITS.nameLength} characters long` }),
    (required ? ApiProperty : ApiPropertyOptional)({ description: "Unique in the connection's workspace", example: 'Customers nightly', maxLength: LIMITS.nameLength }),
  );
const ConnectionId = (required: boolean) =>
  applyDecorators(
    IsUUID('all', { message: "connection_id must be a connection's id (a UUID)" }),
    (required ? ApiProperty : ApiPropertyOptional)({
      description: 'The connection holding the table: the destination of imports and deletes, the source of exports',
      example: '5a1d7c2e-3b4f-4e6a-8c9d-0e1f2a3b4c5d',
    }),
  );
const Table = (required: boolean) =>
  applyDecorators(
    IsString(),
    Length(TABLE.min, TABLE.max, { message: `$property must be ${TABLE.min} to ${TABLE.max} characters long` }),
    (required ? ApiProperty : ApiPropertyOptional)({ description: 'The table imported into, deleted from or exported', example: 'customers', maxLength: TABLE.max }),
  );

/** The fields a data sync may leave out when it is created. */
class DataSyncOptionsDto {
  @IsOptional() @IsArray() @ArrayNotEmpty() @ArrayMaxSize(64) @IsString({ each: true })
  @Length(1, TABLE.max, { each: true, message: `each of $property must be 1 to ${TABLE.max} characters long` })
  @ApiPropertyOptional({ type: [String], nullable: true, description: "Columns rows are matched by (upserts, deletes); null or absent: the table's primary key", example: ['email'] })
  key_columns?: string[] | null;

  @sent @IsObject() @ValidateNested() @Type(() => DataSyncScheduleDto)
  @ApiPropertyOptional({ type: DataSyncScheduleDto, description: 'Exports only: imports and deletes launch when a file is uploaded' })
  schedule?: DataSyncScheduleDto;

  @sent @IsBoolean() @ApiPropertyOptional({ description: 'A disabled data sync keeps its launches but never launches (default true)', example: true })
  enabled?: boolean;

  @sent @IsBoolean()
  @ApiPropertyOptional({ description: 'Its Prisma routes need HTTP Basic api:<one of its tokens> (or an Operator token); open without a credential when false (default)', example: true })
  auth?: boolean;
}

export class CreateDataSyncDto extends DataSyncOptionsDto {
  @Name(true)
  name: string;

  @IsIn(DATASYNC_KINDS, { message: `kind must be one of: ${DATASYNC_KINDS.join(', ')}` })
  @ApiProperty({ enum: DATASYNC_KINDS, description: 'import: upsert the rows of an uploaded CSV; delete: delete the rows it names; export: write the table to a CSV', example: 'import' })
  kind: DataSyncKind;

  @ConnectionId(true)
  connection_id: string;

  @Table(true)
  table: string;
}

/** A PUT changes only the fields sent; the kind never changes. */
export class UpdateDataSyncDto extends DataSyncOptionsDto {
  @sent @Name(false)
  name?: string;

  @sent @ConnectionId(false)
  connection_id?: string;

  @sent @Table(false)
  table?: string;
}
