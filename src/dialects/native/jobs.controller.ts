import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsISO8601, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { AUDIT_TYPES, type AuditEntryDoc } from '../../audit/audit.read-model.js';
import { JobAudit } from '../../audit/audit.queries.js';
import { ApiAnswer, ApiErrors, freeForm } from '../../http/api-docs.js';
import { GetJob, JobAsOf } from '../../jobs/jobs.queries.js';
import type { JobDoc } from '../../jobs/jobs.read-model.js';
import { AsOfDto } from './as-of.dto.js';
import { SluiceController } from './native.decorators.js';

class AuditQueryDto {
  @IsOptional() @IsISO8601({ strict: true }) @ApiPropertyOptional({ description: 'Entries at or after this time (ISO 8601)' })
  from?: string;

  @IsOptional() @IsISO8601({ strict: true }) @ApiPropertyOptional({ description: 'Entries at or before this time (ISO 8601)' })
  to?: string;

  @IsOptional() @Transform(({ value }) => (Array.isArray(value) ? value : [value]))
  @IsIn(AUDIT_TYPES, { each: true, message: `type must be one of: ${AUDIT_TYPES.join(', ')}` })
  @ApiPropertyOptional({ enum: AUDIT_TYPES, isArray: true, description: 'Only entries of these types (repeat the parameter for several)' })
  type?: string[];

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) @ApiPropertyOptional({ default: 100, maximum: 1000 })
  limit?: number;

  @IsOptional() @IsString() @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  cursor?: string;
}

const JOB_EXAMPLE = {
  id: '0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21',
  workspaceId: 'default',
  name: 'Nightly',
  type: 'Standard',
  status: 'active',
  sourceConnectionId: '5a1d7c2e-3b4f-4e6a-8c9d-0e1f2a3b4c5d',
  destinationConnectionId: '6b2e8d3f-4c5a-4f7b-9d0e-1f2a3b4c5d6e',
  schedule: { enabled: true, cron: '0 2 * * *', timezone: 'Europe/Paris' },
  settings: freeForm({ batch_size: 1000, truncate_table_data: true }),
  tasks: [{ id: '6f1c2f0e-8f55-4a53-9d2c-2b1f3f1d9a10', query: 'REPLICATE [Accounts]', isActive: true, incrementalColumn: null }],
  activeRunId: null,
  lastRun: { id: '3f2b8c1a-5d4e-4f6a-9b7c-8d9e0f1a2b3c', status: 'succeeded', endedAt: '2026-11-23T02:00:04.000Z' },
  watermarks: freeForm({ '6f1c2f0e-8f55-4a53-9d2c-2b1f3f1d9a10': 120000 }),
  createdAt: '2026-11-20T09:00:00.000Z',
  createdBy: 'user:ada',
  updatedAt: '2026-11-22T17:30:00.000Z',
  deletedAt: null,
  version: 12,
};

const ENTRY_EXAMPLE = {
  position: '1042',
  revision: 3,
  at: '2026-11-22T17:30:00.000Z',
  type: 'JobUpdated',
  actor: 'user:ada',
  correlation_id: 'c0ffee',
  causation_id: '7d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a',
  dialect: 'cdata',
  route: 'PUT /api.rsc/v2/jobs/:job_id',
  changes: freeForm({ 'settings.batch_size': { from: 500, to: 1000 } }),
  task: null,
  run: null,
  details: null,
};

/** A job as Sluice shows it: its definition, tasks, run tracking, who made it and when; `deletedAt` for an as_of after its deletion. */
function toJobView(job: JobDoc, deletedAt?: string) {
  const { id, workspaceId, name, type, sourceConnectionId, destinationConnectionId, schedule, settings, tasks, activeRunId, lastRun, watermarks } = job;
  const { createdAt, createdBy, updatedAt, version } = job;
  const status = deletedAt ? 'deleted' : job.status;
  return { id, workspaceId, name, type, status, sourceConnectionId, destinationConnectionId, schedule, settings, tasks, activeRunId, lastRun, watermarks, createdAt, createdBy, updatedAt, deletedAt: deletedAt ?? null, version };
}

function toEntry(e: AuditEntryDoc) {
  const run = e.run && { id: e.run.id, trigger: e.run.trigger, status: e.run.status, rows_read: e.run.rowsRead, rows_written: e.run.rowsWritten, duration_ms: e.run.durationMs, error: e.run.error };
  return {
    position: e.position,
    revision: e.revision,
    at: e.at,
    type: e.type,
    actor: e.actor,
    correlation_id: e.correlationId,
    causation_id: e.causationId,
    dialect: e.via?.dialect ?? null,
    route: e.via?.route ?? null,
    changes: e.changes ?? null,
    task: e.task ?? null,
    run: run ?? null,
    details: e.details ?? null,
  };
}

@SluiceController('Sluice: jobs and their history', { job: 'Viewer', audit: 'Viewer' })
@Controller('v1/jobs')
export class JobsController {
  constructor(private readonly queries: QueryBus) {}

  @Get(':job_id')
  @ApiOperation({ summary: "A job; with `as_of`, the job as it was then, folded from its stream (also after it was deleted: then `status` is deleted)" })
  @ApiAnswer(200, 'The job', JOB_EXAMPLE)
  @ApiErrors(400, 404)
  async job(@Param('job_id') jobId: string, @Query() { as_of }: AsOfDto) {
    if (!as_of) return toJobView(await this.queries.execute(new GetJob(jobId)));
    const { doc, deletedAt } = await this.queries.execute(new JobAsOf(jobId, as_of));
    return toJobView(doc, deletedAt);
  }

  @Get(':job_id/audit')
  @ApiOperation({
    summary:
      'Every change to the job and every run of it, oldest first: who, when, through which dialect and route, and what changed ' +
      '(`changes` by field, from and to). A deleted job keeps its timeline, ending with its deletion.',
  })
  @ApiAnswer(200, 'A page of the timeline; next_cursor asks for the next one', { job_id: '0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21', entries: [ENTRY_EXAMPLE], next_cursor: null })
  @ApiErrors(400, 404)
  async audit(@Param('job_id') jobId: string, @Query() query: AuditQueryDto) {
    const { items, next } = await this.queries.execute(
      new JobAudit(jobId, { from: query.from, to: query.to, types: query.type, limit: query.limit ?? 100, cursor: query.cursor }),
    );
    return { job_id: jobId, entries: items.map(toEntry), next_cursor: next ?? null };
  }
}
