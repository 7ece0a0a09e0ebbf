import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import { DomainError } from '../../core/errors.js';
import type { CommandContext } from '../../core/write-path.js';
import { GetJob } from '../../jobs/jobs.queries.js';
import { CancelJob, ExecuteJob } from '../../runs/runs.commands.js';
import { GetRun, ListRuns } from '../../runs/runs.queries.js';
import { nextRunAt } from '../../execution/scheduler.js';
import { ApiAnswer, ApiErrors } from '../../http/api-docs.js';
import { Ctx } from '../../http/command-context.js';
import { toCDataHistory } from './cdata.mapping.js';
import { CDataController, OPERATE_JOB, VIEW_JOB } from './cdata.decorators.js';
import { HISTORY_EXAMPLE, list, STATUS_EXAMPLE } from './examples.js';
import { ExecuteJobDto } from './jobs.dto.js';
import { PageQueryDto } from '../../http/page-query.dto.js';

@CDataController('CData Sync v2: runs and history', { execute: OPERATE_JOB, cancel: OPERATE_JOB, status: VIEW_JOB, history: VIEW_JOB, historyEntry: VIEW_JOB })
@Controller('api.rsc/v2/jobs/:job_id')
export class CDataRunsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('execute')
  @ApiOperation({ summary: 'Queue a run of the job (all active tasks, or `tasks`); while one is active, answers that one (200)' })
  @ApiAnswer(202, 'The new run, queued', { ...HISTORY_EXAMPLE, status: 'queued' })
  @ApiAnswer(200, 'The job already had an active run: that run', { ...HISTORY_EXAMPLE, status: 'running' })
  @ApiErrors(400, 404, 409)
  async execute(@Param('job_id') jobId: string, @Body() dto: ExecuteJobDto, @Ctx() ctx: CommandContext, @Res({ passthrough: true }) res: Response) {
    const { runId, created, position } = await this.commands.execute(new ExecuteJob(jobId, dto.tasks, ctx));
    res.status(created ? 202 : 200);
    return toCDataHistory(await this.queries.execute(new GetRun(runId!, position)));
  }

  @Post('cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel the active run: a queued one ends at once, a running one at its next batch' })
  @ApiAnswer(200, 'The run, cancelled or cancelling', { ...HISTORY_EXAMPLE, status: 'cancelling' })
  @ApiErrors(404, 409)
  async cancel(@Param('job_id') jobId: string, @Ctx() ctx: CommandContext) {
    const { runId, position } = await this.commands.execute(new CancelJob(jobId, ctx));
    return toCDataHistory(await this.queries.execute(new GetRun(runId, position)));
  }

  @Get('status')
  @ApiOperation({ summary: 'Whether the job is idle, queued, running or cancelling, and how its last run ended' })
  @ApiAnswer(200, 'The job status', STATUS_EXAMPLE)
  @ApiErrors(404)
  async status(@Param('job_id') jobId: string) {
    const job = await this.queries.execute(new GetJob(jobId));
    const active = job.activeRunId ? await this.queries.execute(new GetRun(job.activeRunId)).catch(() => null) : null;
    return {
      job_id: job.id,
      status: job.activeRunId ? (active?.status ?? 'queued') : 'idle',
      active_run_id: job.activeRunId,
      last_run: job.lastRun && { id: job.lastRun.id, status: job.lastRun.status, finished_at: job.lastRun.endedAt },
      next_run_at: nextRunAt(job, new Date()),
    };
  }

  @Get('history')
  @ApiOperation({ summary: 'The job\'s runs, newest first' })
  @ApiAnswer(200, 'A page of runs', list(HISTORY_EXAMPLE))
  @ApiErrors(400, 404)
  async history(@Param('job_id') jobId: string, @Query() page: PageQueryDto) {
    await this.queries.execute(new GetJob(jobId));
    const { items, next } = await this.queries.execute(new ListRuns(jobId, page.limit ?? 100, page.cursor));
    return { value: items.map(toCDataHistory), next_cursor: next ?? null };
  }

  @Get('history/:history_id')
  @ApiOperation({ summary: 'One run: per-task results, rows read and written, errors, trigger, who asked, times' })
  @ApiAnswer(200, 'The run', HISTORY_EXAMPLE)
  @ApiErrors(404)
  async historyEntry(@Param('job_id') jobId: string, @Param('history_id') runId: string) {
    const run = await this.queries.execute(new GetRun(runId));
    if (run.jobId !== jobId) throw new DomainError('RUN.NOT_FOUND', `Run ${runId} is not a run of job ${jobId}`);
    return toCDataHistory(run);
  }
}
