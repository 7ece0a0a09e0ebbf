import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsISO8601, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { LIMITS } from '../../core/limits.js';
import { ApiAnswer, ApiErrors } from '../../http/api-docs.js';
import { SearchLogs } from '../../logs/logs.queries.js';
import type { LogLevel } from '../../runs/run.decider.js';
import { LOG_LEVELS } from '../../runs/runs.read-model.js';
import { SluiceController } from './native.decorators.js';

const TIME = { strict: true };

class LogSearchDto {
  @IsDefined({ message: 'from is required' }) @IsISO8601(TIME, { message: 'from must be an ISO 8601 time, e.g. 2026-11-23T08:00:00Z' })
  @ApiProperty({ description: 'Lines at or after this time (ISO 8601; UTC unless it has an offset)', example: '2026-11-23T00:00:00Z' })
  from!: string;

  @IsDefined({ message: 'to is required' }) @IsISO8601(TIME, { message: 'to must be an ISO 8601 time, e.g. 2026-11-23T08:00:00Z' })
  @ApiProperty({ description: 'Lines at or before this time (ISO 8601; UTC unless it has an offset)', example: '2026-11-24T00:00:00Z' })
  to!: string;

  @IsOptional() @IsString() @MaxLength(LIMITS.nameLength) @ApiPropertyOptional({ description: "Only this job's lines (its id)" })
  job?: string;

  @IsOptional() @IsString() @MaxLength(LIMITS.nameLength) @ApiPropertyOptional({ description: "Only this run's lines (its id)" })
  run?: string;

  @IsOptional() @IsString() @MaxLength(LIMITS.nameLength) @ApiPropertyOptional({ description: "Only this task's lines (its id)" })
  task?: string;

  @IsOptional() @IsIn(LOG_LEVELS, { message: `level must be one of: ${LOG_LEVELS.join(', ')}` })
  @ApiPropertyOptional({ enum: LOG_LEVELS, description: 'This level and above' })
  level?: LogLevel;

  @IsOptional() @IsString() @MaxLength(LIMITS.nameLength)
  @ApiPropertyOptional({ description: 'Words that must all appear in the message, whole words, in any case (letters, digits and _ make a word)' })
  q?: string;

  @IsOptional() @IsIn(['asc', 'desc'], { message: 'order must be asc or desc' })
  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc', description: 'desc: newest first' })
  order?: 'asc' | 'desc';

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) @ApiPropertyOptional({ default: 100, maximum: 1000 })
  limit?: number;

  @IsOptional() @IsString() @ApiPropertyOptional({ description: 'next_cursor of the previous page (same filters and order)' })
  cursor?: string;
}

const LINE_EXAMPLE = {
  at: '2026-11-23T08:00:01.400Z',
  level: 'info',
  message: 'FINISHED SUCCESSFULLY in [1.28] seconds',
  job_id: '0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21',
  run_id: '3f2b8c1a-5d4e-4f6a-9b7c-8d9e0f1a2b3c',
  task_id: null,
};

@SluiceController('Sluice: logs', { search: 'Viewer' })
@Controller('v1/logs')
export class LogsController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @ApiOperation({
    summary:
      'The log lines of all runs in a time range (both ends included), newest first unless order=asc; lines of the same millisecond keep the order they were written in. ' +
      'Narrow by job, run, task, level (that level and above) and q (words that must all appear in the message).',
  })
  @ApiAnswer(200, 'A page of log lines; next_cursor asks for the next page, null after the last', { lines: [LINE_EXAMPLE], next_cursor: null })
  @ApiErrors(400)
  async search(@Query() query: LogSearchDto) {
    const { from, to, job, run, task, level, q, order, limit, cursor } = query;
    const { items, next } = await this.queries.execute(
      new SearchLogs({ from, to, jobId: job, runId: run, taskId: task, level, q, order: order ?? 'desc', limit: limit ?? 100, cursor }),
    );
    return {
      lines: items.map((l) => ({ at: l.at, level: l.level, message: l.message, job_id: l.jobId, run_id: l.runId, task_id: l.taskId })),
      next_cursor: next ?? null,
    };
  }
}
