import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsInt, IsObject, IsString, MaxLength, Min, ValidateNested } from 'class-validator';
import { LIMITS } from '../../core/limits.js';
import { Name, OptionalField, OptionalBoolean, OptionalDate, OptionalInt, OptionalOneOf, OptionalString, Query, RequiredString } from './fields.js';

const nullable = { nullable: true };

export const CDATA_JOB_TYPES = ['Standard', 'SyncAll', 'LoadFolder', 'ChangeDataCapture', 'ReverseETL'] as const;

export class ScheduleDto {
  @OptionalBoolean('Run the job on its cron schedule')
  enabled?: boolean;

  @OptionalString('Cron string: 5 fields, or 6 with seconds first; Quartz `?` accepted', '0 2 * * *')
  cron?: string;

  @OptionalString('IANA time zone the cron is read in (default UTC)', 'Europe/Paris')
  timezone?: string;
}

/** A connection given as its id, or as CData's `{"Id": ..., "Name": ...}`. */
export class ConnectionRefDto {
  @RequiredString('Connection id', '550e8400-e29b-41d4-a716-446655440000')
  id: string;

  @OptionalString('Connection name (informative)')
  name?: string;
}

/** Every setting CData Sync lists for a job. Keys are matched case-insensitively (`Batch_Size`, `batch_size`). */
export class JobSettingsDto {
  @OptionalField(nullable) @IsString() @ApiPropertyOptional({ type: String, nullable: true, description: 'Source connection id (null detaches it)', example: '550e8400-e29b-41d4-a716-446655440000' })
  source_connection_id?: string | null;

  @OptionalField(nullable) @IsString() @ApiPropertyOptional({ type: String, nullable: true, description: 'Destination connection id (null detaches it)', example: '550e8400-e29b-41d4-a716-446655440220' })
  destination_connection_id?: string | null;

  @OptionalField(nullable) @IsObject() @ValidateNested() @Type(() => ConnectionRefDto) @ApiPropertyOptional({ type: ConnectionRefDto, nullable: true, description: 'Source connection as {id, name} (alternative to source_connection_id)' })
  source_connection?: ConnectionRefDto | null;

  @OptionalField(nullable) @IsObject() @ValidateNested() @Type(() => ConnectionRefDto) @ApiPropertyOptional({ type: ConnectionRefDto, nullable: true, description: 'Destination connection as {id, name}' })
  destination_connection?: ConnectionRefDto | null;

  @OptionalField() @IsObject() @ValidateNested() @Type(() => ScheduleDto) @ApiPropertyOptional({ type: ScheduleDto })
  schedule?: ScheduleDto;

  @OptionalString('Scheduler cron string (same as schedule.cron)')
  cron?: string;

  @OptionalBoolean('Send email alerts after the job completes') send_email?: boolean;
  @OptionalString('Address alerts are sent to', 'ops@example.com', nullable) email_to?: string;
  @OptionalString('Subject of alert emails', undefined, nullable) email_subject?: string;
  @OptionalBoolean('Send email only when an error occurs') email_error_only?: boolean;
  @OptionalBoolean('Run the tasks in parallel') enable_parallel_processing?: boolean;
  @OptionalInt('Number of workers for parallel processing', 1, 64, 4, nullable) worker_pool?: number;
  @OptionalOneOf([1, 2, 3, 4, 5], 'Log verbosity level') verbosity?: number;
  @OptionalString('Destination schema', 'public', nullable) destination_schema?: string;
  @OptionalString('Prefix for every replicated table', 'stg_', nullable) table_name_prefix?: string;
  @OptionalBoolean('Synchronise times in GMT rather than local time') use_gmt_datetime?: boolean;
  @OptionalBoolean('History mode') history_mode?: boolean;
  @OptionalBoolean('Delete all rows before each update') truncate_table_data?: boolean;
  @OptionalBoolean('Drop the table before each update') drop_table?: boolean;
  @OptionalBoolean('Truncate strings too large for the column') auto_truncate_strings?: boolean;
  @OptionalBoolean('Go on to the next task when one fails') continue_on_error?: boolean;
  @OptionalOneOf(['HardDelete', 'SoftDelete', 'SkipDelete'], 'How deletions in the source are applied', nullable) deletion_behavior?: string;
  @OptionalBoolean('Add columns and alter types when source and destination differ') alter_schema?: boolean;
  @OptionalInt('Size of the time frames replication is split into', 1, undefined, 7, nullable) replicate_interval?: number;
  @OptionalOneOf(['minutes', 'hours', 'days', 'weeks', 'months', 'years'], 'Unit of replicate_interval', nullable) replicate_interval_unit?: string;
  @OptionalDate('Earliest date to replicate from (yyyy-MM-dd)') replicate_start_date?: string;
  @OptionalInt('Rows per batch', 1, 1_000_000, 1000, nullable) batch_size?: number;
  @OptionalString('Code of the pre-job event', undefined, nullable) pre_job_event?: string;
  @OptionalString('Code of the post-job event', undefined, nullable) post_job_event?: string;

  @OptionalField(nullable) @IsObject() @ApiPropertyOptional({ type: Object, nullable: true, description: 'CDC engine settings such as Name and Schema', example: { name: 'pg', schema: 'public' } })
  cdc_engine_settings?: Record<string, unknown>;

  @OptionalField() @IsArray() @IsString({ each: true }) @ApiPropertyOptional({ type: [String], example: ['nightly', 'crm'] })
  labels?: string[];

  @OptionalString('Id of the pipeline the job belongs to', undefined, nullable) pipeline_id?: string;
  @OptionalString('Default incremental column of the tasks: each run loads only rows above the highest value already loaded', 'updated_at', nullable)
  incremental_column?: string;
  @OptionalInt('Log search keeps the lines of only this many latest runs of the job (null: every run)', 1, undefined, 100, nullable)
  log_retention_runs?: number;
  @OptionalBoolean('A disabled job keeps its history but never runs (execute is a 409, its schedule does not fire)') enabled?: boolean;
  @OptionalBoolean("For data syncs: their Prisma routes need one of the data sync's tokens (HTTP Basic api:<token>)") api_auth?: boolean;
  @OptionalString('Free text about the job', 'Loads the events table every hour', nullable) description?: string;
}

export class CreateJobDto extends JobSettingsDto {
  @Name('Job name, unique in its workspace', 'ReverseETLJob')
  name: string;

  @OptionalField() @IsIn(CDATA_JOB_TYPES, { message: `type must be one of: ${CDATA_JOB_TYPES.join(', ')}` })
  @ApiPropertyOptional({ enum: CDATA_JOB_TYPES, default: 'Standard' })
  type?: (typeof CDATA_JOB_TYPES)[number];

  @OptionalField() @IsArray() @IsString({ each: true }) @MaxLength(LIMITS.queryLength, { each: true, message: `each of $property must be at most ${LIMITS.queryLength} characters long` })
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', maxLength: LIMITS.queryLength },
    description: 'Queries; each becomes a task, in order',
    example: ['REPLICATE [Accounts] SELECT * FROM [Accounts]'],
  })
  queries?: string[];
}

export class UpdateJobDto extends JobSettingsDto {
  @Name('New job name', 'reverseETLJob', { optional: true })
  name?: string;

  @OptionalField() @IsIn(CDATA_JOB_TYPES, { message: `type must be one of: ${CDATA_JOB_TYPES.join(', ')}` })
  @ApiPropertyOptional({ enum: CDATA_JOB_TYPES })
  type?: (typeof CDATA_JOB_TYPES)[number];
}

export class TaskDto {
  @Query('The task query')
  query: string;

  @OptionalField() @IsBoolean() @ApiPropertyOptional({ default: true })
  is_active?: boolean;

  @OptionalString('Incremental column of this task (default: the job\'s incremental_column)', 'id', nullable)
  incremental_column?: string;

  @OptionalInt('Position to insert the task at (default: last)', 0)
  index?: number;
}

export class UpdateTaskDto {
  @Query('The task query', { optional: true })
  query?: string;

  @OptionalBoolean('Run the task when the job runs')
  is_active?: boolean;

  @OptionalString('Incremental column of this task (null: the job\'s incremental_column)', 'id', nullable)
  incremental_column?: string;

  @OptionalInt('Move the task to this position', 0, undefined, 1)
  index?: number;
}

export class MoveTaskDto {
  @OptionalInt('Where the task is now (checked when given)', 0, undefined, 0)
  from_index?: number;

  @IsInt() @Min(0) @ApiProperty({ description: 'Where the task goes', minimum: 0, example: 1 })
  to_index: number;
}

export class ExecuteJobDto {
  @OptionalField() @IsArray() @IsString({ each: true })
  @ApiPropertyOptional({ type: [String], description: 'Ids of the tasks to run (default: every active task)', example: ['870237973789151200'] })
  tasks?: string[];
}
