import { once } from 'node:events';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { DomainError } from '../../core/errors.js';
import type { Page } from '../../core/read-store.js';
import type { CommandContext } from '../../core/write-path.js';
import { ApiAnswer } from '../../http/api-docs.js';
import { Ctx } from '../../http/command-context.js';
import { GetJob } from '../../jobs/jobs.queries.js';
import type { JobDoc } from '../../jobs/jobs.read-model.js';
import { type Executed, ExecuteJob } from '../../runs/runs.commands.js';
import { GetRun, ListRuns, RunByNumber, RunLogs } from '../../runs/runs.queries.js';
import type { LogDoc, RunDoc } from '../../runs/runs.read-model.js';
import { EtlworksController } from './etlworks.decorators.js';
import { auditIdOf, FLOW_STATUS, flowIdOf, flowStatus, logLine, onlyParams } from './etlworks.mapping.js';
import { AUTH_ANSWERS, BAD_REQUEST, BODY_ANSWERS, NOT_FOUND } from './examples.js';

type Params = Record<string, unknown>;

const FLOW_ID = '0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21';
const STATUS_CODES = '0 started (queued), 1 running (or being canceled), 2 canceled, 3 has not been executed, 4 success, 5 error';
const LOG_PAGE = 1000;

/** Etlworks' flow calls around the running tasks: run a flow, its status by audit id, its log as a file. A flow is a job. */
@EtlworksController('Etlworks: flows', { run: 'Operator', status: 'Viewer', download: 'Viewer' })
@Controller('rest/v1')
export class EtlworksFlowsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('flows/:job_id/run')
  @HttpCode(200)
  @ApiOperation({ summary: 'Run a flow (asynchronously): its new execution, or the one already queued or running' })
  @ApiParam({ name: 'job_id', description: "The flow id: the job's id", example: FLOW_ID })
  @ApiBody({ required: false, description: 'Flow variables are not supported: no body, or {}', schema: { type: 'object', properties: {}, example: {} } })
  @ApiAnswer(200, `The execution; status: ${STATUS_CODES}`, { flowId: FLOW_ID, messageUuid: null, auditId: 80610, status: 0, exception: null })
  @ApiAnswer(400, 'A flow id that is not a UUID, or flow variables', BAD_REQUEST)
  @ApiAnswer(404, 'No such flow', NOT_FOUND)
  @ApiAnswer(409, 'The job is disabled, or a concurrent change', { status: 409, error: 'Conflict', message: `Job ${FLOW_ID} is disabled and cannot run; enable it first` })
  @AUTH_ANSWERS(true)
  @BODY_ANSWERS()
  async run(@Param('job_id') jobId: string, @Query() query: Params, @Body() body: Params, @Ctx() ctx: CommandContext) {
    onlyParams(query, []);
    const flowId = flowIdOf(jobId, 'job_id');
    const variables = Object.keys(body ?? {});
    if (variables.length) throw new DomainError('VALIDATION', `Sluice flows take no variables (${variables[0]} was sent): send no body, or {}`, variables[0]);
    const { runId, position }: Executed = await this.commands.execute(new ExecuteJob(flowId, undefined, ctx));
    if (!runId) throw new DomainError('JOB.NOT_FOUND', `Job ${flowId} not found`);
    const run: RunDoc = await this.queries.execute(new GetRun(runId, position));
    return { flowId, messageUuid: null, auditId: run.number, status: flowStatus(run.status), exception: null };
  }

  @Get('executions/console/download')
  @ApiOperation({ summary: "Download a flow execution's log as a text file, oldest line first" })
  @ApiQuery({ name: 'flowId', required: true, description: "The job's id", example: FLOW_ID })
  @ApiQuery({ name: 'auditId', required: true, schema: { type: 'integer', minimum: 0 }, example: 80610 })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'The log file (Content-Disposition: attachment)', content: { 'text/plain': { schema: { type: 'string' }, example: '2026-11-23T08:00:00.130Z INFO  Task 1: replicating [orders] into [orders]\n' } } })
  @ApiAnswer(400, 'A missing or malformed flowId or auditId', BAD_REQUEST)
  @ApiAnswer(404, 'No such execution of the flow', NOT_FOUND)
  @AUTH_ANSWERS(true)
  async download(@Query() query: Params, @Res() res: Response) {
    onlyParams(query, ['flowId', 'auditId']);
    const flowId = flowIdOf(query.flowId, 'flowId');
    const auditId = auditIdOf(query.auditId, 'auditId');
    const run = await this.execution(flowId, auditId);
    const page = (cursor?: string): Promise<Page<LogDoc>> => this.queries.execute(new RunLogs(run.id, { limit: LOG_PAGE, cursor }));
    // The first page is read before anything is sent, so a failure is still an error answer rather than a cut file.
    let lines = await page();
    res.status(200).type('text/plain; charset=utf-8').attachment(`flow-${flowId}-${auditId}.log`);
    for (;;) {
      if (!res.write(lines.items.map(logLine).join(''))) await once(res, 'drain');
      if (!lines.next) break;
      lines = await page(lines.next);
    }
    res.end();
  }

  @Get('executions/:job_id')
  @ApiOperation({ summary: "A flow's status: of the execution with auditId, or of its latest one" })
  @ApiParam({ name: 'job_id', description: "The flow id: the job's id", example: FLOW_ID })
  @ApiQuery({ name: 'auditId', required: false, schema: { type: 'integer', minimum: 0 }, description: 'The execution; absent: the latest', example: 80610 })
  @ApiAnswer(200, `The execution's status: ${STATUS_CODES}. A flow never executed answers auditId null and status 3`, {
    auditId: 80610,
    parentAuditId: null,
    retries: 0,
    flowId: FLOW_ID,
    flowName: 'nightly-orders',
    status: 4,
  })
  @ApiAnswer(400, 'A flow id that is not a UUID, or an auditId that is not a whole number', BAD_REQUEST)
  @ApiAnswer(404, 'No such flow, or no such execution of it', NOT_FOUND)
  @AUTH_ANSWERS(true)
  async status(@Param('job_id') jobId: string, @Query() query: Params) {
    onlyParams(query, ['auditId']);
    const flowId = flowIdOf(jobId, 'job_id');
    const auditId = query.auditId === undefined || query.auditId === '' ? undefined : auditIdOf(query.auditId, 'auditId');
    const job: JobDoc = await this.queries.execute(new GetJob(flowId));
    const run: RunDoc | undefined =
      auditId === undefined ? ((await this.queries.execute(new ListRuns(flowId, 1))) as Page<RunDoc>).items[0] : await this.execution(flowId, auditId);
    // Sluice does not retry a failed run by itself: no execution has a parent or retries.
    return { auditId: run?.number ?? null, parentAuditId: null, retries: 0, flowId, flowName: job.name, status: run ? flowStatus(run.status) : FLOW_STATUS.notRunning };
  }

  /** The run with this audit id, if it is one of the flow's; 404 otherwise. */
  private async execution(flowId: string, auditId: number): Promise<RunDoc> {
    const run: RunDoc = await this.queries.execute(new RunByNumber(auditId));
    if (run.jobId !== flowId) throw new DomainError('RUN.NOT_FOUND', `Flow ${flowId} has no execution ${auditId}`);
    return run;
  }
}
