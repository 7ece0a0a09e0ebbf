import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiExtraModels, ApiOperation, getSchemaPath } from '@nestjs/swagger';
import type { CommandContext } from '../../core/write-path.js';
import { ChangeJob } from '../../jobs/jobs.commands.js';
import { GetJob, ListJobs } from '../../jobs/jobs.queries.js';
import { ApiAnswer, ApiErrors } from '../../http/api-docs.js';
import { Ctx } from '../../http/command-context.js';
import { jobChanges, toCDataJob } from './cdata.mapping.js';
import { CDataController, VIEW_JOB } from './cdata.decorators.js';
import { CREATE_JOB_EXAMPLE, JOB_EXAMPLE, list } from './examples.js';
import { CreateJobDto, UpdateJobDto } from './jobs.dto.js';
import { PageQueryDto } from '../../http/page-query.dto.js';

@CDataController('CData Sync v2: jobs', { list: 'Viewer', create: 'Administrator', get: VIEW_JOB, update: 'Administrator', remove: 'Administrator' })
@Controller('api.rsc/v2')
export class CDataJobsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get('workspaces/:workspace_id/jobs')
  @ApiOperation({ summary: 'List all jobs in a workspace' })
  @ApiAnswer(200, 'A page of jobs, oldest first', list(JOB_EXAMPLE))
  @ApiErrors(400)
  async list(@Param('workspace_id') workspaceId: string, @Query() page: PageQueryDto) {
    const { items, next } = await this.queries.execute(new ListJobs(workspaceId, page.limit ?? 100, page.cursor));
    return { value: items.map(toCDataJob), next_cursor: next ?? null };
  }

  @Post('workspaces/:workspace_id/jobs')
  @ApiOperation({ summary: 'Create a job in a workspace; its queries become tasks' })
  @ApiExtraModels(CreateJobDto)
  @ApiBody({
    schema: { $ref: getSchemaPath(CreateJobDto) },
    examples: { nightly: { summary: 'A nightly job with one task (add source_connection_id and destination_connection_id to run it)', value: CREATE_JOB_EXAMPLE } },
  })
  @ApiAnswer(201, 'The job', JOB_EXAMPLE)
  @ApiErrors(400, 409)
  async create(@Param('workspace_id') workspaceId: string, @Body() dto: CreateJobDto, @Ctx() ctx: CommandContext) {
    const jobId = randomUUID();
    const tasks = (dto.queries ?? []).map((query) => ({ id: randomUUID(), query, isActive: true }));
    const data = { ...jobChanges(dto), jobId, workspaceId, name: dto.name, type: dto.type ?? ('Standard' as const), tasks };
    const { position } = await this.commands.execute(new ChangeJob(jobId, { type: 'CreateJob', data }, ctx));
    return toCDataJob(await this.queries.execute(new GetJob(jobId, position)));
  }

  @Get('jobs/:job_id')
  @ApiOperation({ summary: 'Retrieve a job' })
  @ApiAnswer(200, 'The job', JOB_EXAMPLE)
  @ApiErrors(404)
  async get(@Param('job_id') jobId: string) {
    return toCDataJob(await this.queries.execute(new GetJob(jobId)));
  }

  @Put('jobs/:job_id')
  @ApiOperation({ summary: 'Update a job; only the fields sent change' })
  @ApiAnswer(200, 'The updated job', JOB_EXAMPLE)
  @ApiErrors(400, 404, 409)
  async update(@Param('job_id') jobId: string, @Body() dto: UpdateJobDto, @Ctx() ctx: CommandContext) {
    const { position } = await this.commands.execute(new ChangeJob(jobId, { type: 'UpdateJob', data: { changes: jobChanges(dto) } }, ctx));
    return toCDataJob(await this.queries.execute(new GetJob(jobId, position)));
  }

  @Delete('jobs/:job_id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a job' })
  @ApiAnswer(204, 'Deleted', null)
  @ApiErrors(404, [409, 'JOB.RUNNING', 'The job has an active run: cancel it or wait for it to end; or a concurrent change'])
  async remove(@Param('job_id') jobId: string, @Ctx() ctx: CommandContext) {
    await this.commands.execute(new ChangeJob(jobId, { type: 'DeleteJob', data: {} }, ctx));
  }
}
