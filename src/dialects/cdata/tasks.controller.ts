import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation } from '@nestjs/swagger';
import type { CommandContext } from '../../core/write-path.js';
import type { JobCommand } from '../../jobs/job.decider.js';
import { ChangeJob } from '../../jobs/jobs.commands.js';
import { GetJob, GetTask } from '../../jobs/jobs.queries.js';
import { ApiAnswer, ApiErrors } from '../../http/api-docs.js';
import { Ctx } from '../../http/command-context.js';
import { toCDataStep, toCDataTask } from './cdata.mapping.js';
import { TaskHistory } from '../../runs/runs.queries.js';
import { CDataController, OPERATE_JOB, VIEW_JOB } from './cdata.decorators.js';
import { HISTORY_EXAMPLE, TASK_EXAMPLE } from './examples.js';
import { MoveTaskDto, TaskDto, UpdateTaskDto } from './jobs.dto.js';

@CDataController('CData Sync v2: tasks', {
  list: VIEW_JOB,
  add: OPERATE_JOB,
  lastRun: VIEW_JOB,
  taskHistory: VIEW_JOB,
  get: VIEW_JOB,
  update: OPERATE_JOB,
  remove: OPERATE_JOB,
  move: OPERATE_JOB,
})
@Controller('api.rsc/v2/jobs/:job_id/tasks')
export class CDataTasksController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List all tasks of a job, in order' })
  @ApiAnswer(200, 'The tasks', { value: [TASK_EXAMPLE] })
  @ApiErrors(404)
  async list(@Param('job_id') jobId: string) {
    const job = await this.queries.execute(new GetJob(jobId));
    return { value: job.tasks.map((t, i) => toCDataTask(jobId, t, i)) };
  }

  @Post()
  @ApiOperation({ summary: 'Add a task (at the end, or at `index`)' })
  @ApiAnswer(201, 'The task', TASK_EXAMPLE)
  @ApiErrors(400, 404, 409)
  async add(@Param('job_id') jobId: string, @Body() dto: TaskDto, @Ctx() ctx: CommandContext) {
    const task = { id: randomUUID(), query: dto.query, isActive: dto.is_active ?? true, incrementalColumn: dto.incremental_column ?? null };
    return this.change(jobId, task.id, { type: 'AddTask', data: { task, index: dto.index } }, ctx);
  }

  @Get('last-run')
  @ApiOperation({ summary: 'The last run of every task of the job' })
  @ApiAnswer(200, 'Each task with its latest result (null when it never ran)', { value: [{ ...TASK_EXAMPLE, last_run: HISTORY_EXAMPLE.tasks[0] }] })
  @ApiErrors(404)
  async lastRun(@Param('job_id') jobId: string) {
    const job = await this.queries.execute(new GetJob(jobId));
    const latest = await this.queries.execute(new TaskHistory(jobId, job.tasks.map((t) => t.id), true));
    return {
      value: job.tasks.map((t, i) => {
        const found = latest.find((l) => l.step.taskId === t.id);
        return { ...toCDataTask(jobId, t, i), last_run: found ? toCDataStep(found.run, found.step) : null };
      }),
    };
  }

  @Get(':task_id/history')
  @ApiOperation({ summary: 'The results of one task across the job\'s runs, newest first' })
  @ApiAnswer(200, 'The task\'s history', { value: HISTORY_EXAMPLE.tasks })
  @ApiErrors(404)
  async taskHistory(@Param('job_id') jobId: string, @Param('task_id') taskId: string) {
    await this.queries.execute(new GetTask(jobId, taskId));
    const history = await this.queries.execute(new TaskHistory(jobId, [taskId], false));
    return { value: history.map(({ run, step }) => toCDataStep(run, step)) };
  }

  @Get(':task_id')
  @ApiOperation({ summary: 'Retrieve a task' })
  @ApiAnswer(200, 'The task', TASK_EXAMPLE)
  @ApiErrors(404)
  async get(@Param('job_id') jobId: string, @Param('task_id') taskId: string) {
    return this.task(jobId, taskId);
  }

  @Put(':task_id')
  @ApiOperation({ summary: 'Update a task (query, is_active, index)' })
  @ApiAnswer(200, 'The task', TASK_EXAMPLE)
  @ApiErrors(400, 404, 409)
  async update(@Param('job_id') jobId: string, @Param('task_id') taskId: string, @Body() dto: UpdateTaskDto, @Ctx() ctx: CommandContext) {
    const data = { taskId, query: dto.query, isActive: dto.is_active, incrementalColumn: dto.incremental_column, index: dto.index };
    return this.change(jobId, taskId, { type: 'UpdateTask', data }, ctx);
  }

  @Delete(':task_id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a task; the tasks after it move up' })
  @ApiAnswer(204, 'Deleted', null)
  @ApiErrors(404, [409, 'JOB.RUNNING', 'The job has an active run: cancel it or wait for it to end; or a concurrent change'])
  async remove(@Param('job_id') jobId: string, @Param('task_id') taskId: string, @Ctx() ctx: CommandContext) {
    await this.commands.execute(new ChangeJob(jobId, { type: 'DeleteTask', data: { taskId } }, ctx));
  }

  @Post(':task_id/move')
  @HttpCode(200)
  @ApiOperation({ summary: 'Move a task from from_index to to_index' })
  @ApiAnswer(200, 'The task at its new index', { ...TASK_EXAMPLE, index: 1 })
  @ApiErrors(400, 404, 409)
  async move(@Param('job_id') jobId: string, @Param('task_id') taskId: string, @Body() dto: MoveTaskDto, @Ctx() ctx: CommandContext) {
    return this.change(jobId, taskId, { type: 'MoveTask', data: { taskId, fromIndex: dto.from_index, toIndex: dto.to_index } }, ctx);
  }

  private async change(jobId: string, taskId: string, command: JobCommand, ctx: CommandContext) {
    const { position } = await this.commands.execute(new ChangeJob(jobId, command, ctx));
    return this.task(jobId, taskId, position);
  }

  private async task(jobId: string, taskId: string, after?: string) {
    const { task, index } = await this.queries.execute(new GetTask(jobId, taskId, after));
    return toCDataTask(jobId, task, index);
  }
}
