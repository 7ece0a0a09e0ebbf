import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsISO8601, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { DocumentAsOf } from '../../audit/audit.queries.js';
import { LOG_LEVELS, type RunDoc, runNumberOf, RUNS } from '../../runs/runs.read-model.js';
import { ApiAnswer, ApiErrors } from '../../http/api-docs.js';
import { type LogLevel, runStream } from '../../runs/run.decider.js';
import { GetRun, RunByNumber, RunLogs } from '../../runs/runs.queries.js';
import { CancelRun } from '../../runs/runs.commands.js';
import type { CommandContext } from '../../core/write-path.js';
import { Ctx } from '../../http/command-context.js';
import { AsOfDto } from './as-of.dto.js';
import { SluiceController } from './native.decorators.js';

class LogQueryDto {
  @IsOptional() @IsISO8601() @ApiPropertyOptional({ description: 'Lines at or after this time (ISO 8601)' })
  from?: string;

  @IsOptional() @IsISO8601() @ApiPropertyOptional({ description: 'Lines at or before this time (ISO 8601)' })
  to?: string;

  @IsOptional() @IsIn(LOG_LEVELS, { message: `level must be one of: ${LOG_LEVELS.join(', ')}` })
  @ApiPropertyOptional({ enum: LOG_LEVELS, description: 'This level and above' })
  level?: LogLevel;

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(5000) @ApiPropertyOptional({ default: 1000 })
  limit?: number;

  @IsOptional() @IsString() @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  cursor?: string;
}

const STEP_EXAMPLE = {
  taskId: '6f1c2f0e-8f55-4a53-9d2c-2b1f3f1d9a10',
  query: 'REPLICATE [Accounts] SELECT * FROM [Accounts]',
  status: 'running',
  source: 'Accounts',
  destination: 'Accounts',
  rowsRead: 120000,
  rowsWritten: 120000,
  watermarkBefore: 0,
  watermark: 120000,
  error: null,
  startedAt: '2026-11-23T08:00:00.130Z',
  finishedAt: null,
  durationMs: null,
  metrics: { rowsProcessed: 120000, sinceLastCheck: 40000, latencyMs: { min: 8.2, max: 31.5, avg: 12.9 }, lastId: 120000, at: '2026-11-23T08:00:03.000Z' },
};

const RUN_EXAMPLE = {
  id: '3f2b8c1a-5d4e-4f6a-9b7c-8d9e0f1a2b3c',
  jobId: '0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21',
  workspaceId: 'default',
  jobName: 'ReverseETLJob',
  status: 'running',
  trigger: 'schedule',
  requestedBy: 'scheduler',
  slot: '2026-11-23T08:00:00.000Z',
  owner: { instanceId: '9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f', hostname: 'sluice-1', pid: 4242 },
  queuedAt: '2026-11-23T08:00:00.000Z',
  startedAt: '2026-11-23T08:00:00.120Z',
  finishedAt: null,
  durationMs: null,
  rowsRead: 120000,
  rowsWritten: 120000,
  error: null,
  steps: [STEP_EXAMPLE],
  version: 3,
};

/** A run as this route shows it: the fields named here, whatever else the read model keeps. */
function toRunView(run: RunDoc) {
  const { id, jobId, workspaceId, jobName, status, trigger, requestedBy, slot, owner, queuedAt, startedAt, finishedAt } = run;
  const { durationMs, rowsRead, rowsWritten, error, version } = run;
  const steps = run.steps.map((s) => ({
    taskId: s.taskId,
    query: s.query,
    status: s.status,
    source: s.source,
    destination: s.destination,
    rowsRead: s.rowsRead,
    rowsWritten: s.rowsWritten,
    watermarkBefore: s.watermarkBefore ?? null,
    watermark: s.watermark ?? null,
    error: s.error,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    durationMs: s.durationMs,
    metrics: s.metrics,
  }));
  return { id, jobId, workspaceId, jobName, status, trigger, requestedBy, slot, owner, queuedAt, startedAt, finishedAt, durationMs, rowsRead, rowsWritten, error, steps, version };
}

@SluiceController('Sluice: runs', { run: 'Viewer', logs: 'Viewer', cancel: 'Operator' })
@Controller('v1/runs')
export class RunsController {
  constructor(
    private readonly queries: QueryBus,
    private readonly commands: CommandBus,
  ) {}

  @Get(':run_id')
  @ApiOperation({ summary: 'A run (by its id, or its number: a Prisma launch id, an Etlworks audit id) with its steps and their live metrics; with `as_of`, the run as it was then, folded from its stream' })
  @ApiAnswer(200, 'The run', RUN_EXAMPLE)
  @ApiErrors(400, 404)
  async run(@Param('run_id') id: string, @Query() { as_of }: AsOfDto) {
    const runId = await this.idOf(id);
    if (!as_of) return toRunView(await this.queries.execute(new GetRun(runId)));
    return toRunView((await this.queries.execute(new DocumentAsOf<RunDoc>(RUNS, runId, runStream(runId), as_of, 'RUN.NOT_FOUND'))).doc);
  }

  @Post(':run_id/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel this run (by its id or number): a queued one (also one waiting behind its job\'s active run) ends at once, a running one at its next batch; one already cancelled or cancelling is answered as it is',
  })
  @ApiAnswer(200, 'The run, cancelled or cancelling', { ...RUN_EXAMPLE, status: 'cancelled' })
  @ApiErrors(404, 409)
  async cancel(@Param('run_id') id: string, @Ctx() ctx: CommandContext) {
    const runId = await this.idOf(id);
    const { position } = await this.commands.execute(new CancelRun(runId, ctx));
    return toRunView(await this.queries.execute(new GetRun(runId, position)));
  }

  /** A run is named by its id or by its number (a Prisma launch id, an Etlworks audit id). */
  private async idOf(id: string): Promise<string> {
    const number = runNumberOf(id);
    return number === undefined ? id : (await this.queries.execute<RunByNumber, RunDoc>(new RunByNumber(number))).id;
  }

  @Get(':run_id/logs')
  @ApiOperation({ summary: 'The run\'s log lines in time order; `level` means that level and above' })
  @ApiAnswer(200, 'A page of log lines', {
    run_id: RUN_EXAMPLE.id,
    lines: [{ at: '2026-11-23T08:00:01.400Z', level: 'info', message: 'FINISHED SUCCESSFULLY in [1.28] seconds', task_id: null }],
    next_cursor: null,
  })
  @ApiErrors(400, 404)
  async logs(@Param('run_id') runId: string, @Query() query: LogQueryDto) {
    const { items, next } = await this.queries.execute(new RunLogs(runId, { ...query, limit: query.limit ?? 1000 }));
    return {
      run_id: runId,
      lines: items.map((l) => ({ at: l.at, level: l.level, message: l.message, task_id: l.taskId })),
      next_cursor: next ?? null,
    };
  }
}
