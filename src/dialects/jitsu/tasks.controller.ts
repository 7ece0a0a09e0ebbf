import { Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiParam, ApiQuery } from '@nestjs/swagger';
import type { Response } from 'express';
import { SETTINGS, type Settings } from '../../config/settings.js';
import { DomainError } from '../../core/errors.js';
import type { CommandContext } from '../../core/write-path.js';
import { declaredPair, pairNamed } from '../../declarations/declared-jobs.js';
import { ApiAnswer } from '../../http/api-docs.js';
import { Ctx } from '../../http/command-context.js';
import type { Page } from '../../core/read-store.js';
import { CancelRun, type Executed, ExecuteJob } from '../../runs/runs.commands.js';
import { FindRuns, GetRun, RunLogs } from '../../runs/runs.queries.js';
import type { LogDoc, RunDoc } from '../../runs/runs.read-model.js';
import { inJitsuWords, JitsuError } from './jitsu-errors.js';
import { JitsuController } from './jitsu.decorators.js';
import { jitsuTaskId, limitParam, parseTaskId, required, rfc3339, runStatusesOf, statusParam, toJitsuLog, toJitsuTask } from './jitsu.mapping.js';

type Params = Record<string, unknown>;

const TASK = {
  id: 'crm_people_0b8e4a1c-3f0e-4a8e-9d0e-2f4a5b6c7d8e',
  source: 'crm',
  collection: 'people',
  priority: 299998384585588,
  created_at: '2021-03-10T22:13:32.433000Z',
  started_at: '2021-03-10T22:13:32.567000Z',
  finished_at: '2021-03-10T22:13:34.116000Z',
  status: 'SUCCESS',
};
const SOURCE_ERROR = { message: 'Error getting source', error: "Source [jitsu_firebase] doesn't exist" };
const UNAUTHORIZED = { message: 'Admin token does not match' };
const NO_TASK = { message: 'Tasks gathering failed', error: 'Error getting task by id [crm_people_x] from storage: Sync task wasn\'t found' };
const PAGE = 500;

/**
 * Jitsu's sync tasks: a source/collection pair of the config file is a job, a task is a run of it. The
 * task id is `<source>_<collection>_<run id>`.
 */
@JitsuController('Jitsu: sync tasks', { create: 'Operator', list: 'Viewer', get: 'Viewer', logs: 'Viewer', cancel: 'Operator' })
@Controller('api/v1/tasks')
export class JitsuTasksController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Start a sync of a source collection: one task per pair in the queue (201 new, 200 the one already scheduled or running)' })
  @ApiQuery({ name: 'source', required: true, description: 'Source id in the config file' })
  @ApiQuery({ name: 'collection', required: true, description: 'Collection name in that source' })
  @ApiAnswer(201, 'A task was created', { task_id: TASK.id })
  @ApiAnswer(200, 'A task of the pair is already scheduled or running: its id', { task_id: TASK.id })
  @ApiAnswer(400, 'Unknown source or collection, or a missing parameter', SOURCE_ERROR)
  @ApiAnswer(401, 'Wrong or missing admin token', UNAUTHORIZED)
  async create(@Query() query: Params, @Ctx() ctx: CommandContext, @Res({ passthrough: true }) res: Response) {
    const source = required(query, 'source');
    const collection = required(query, 'collection');
    const [jobId] = this.jobsOf(source, collection);
    const { runId, created, position }: Executed = await this.commands.execute(new ExecuteJob(jobId, undefined, ctx)).catch(inJitsuWords('Sync Task creation failed'));
    if (!runId) throw new JitsuError(400, 'Sync Task creation failed', `The job of [${source}] [${collection}] does not exist; see the start-up log`);
    if (position) await this.queries.execute(new GetRun(runId, position));
    res.status(created ? 201 : 200);
    return { task_id: jitsuTaskId(source, collection, runId) };
  }

  @Get()
  @ApiOperation({ summary: "The tasks of a source (or one of its collections) created between start and end (inclusive), oldest first" })
  @ApiQuery({ name: 'source', required: true })
  @ApiQuery({ name: 'start', required: true, description: 'RFC 3339 time', example: '2021-05-26T15:30:41.040Z' })
  @ApiQuery({ name: 'end', required: true, description: 'RFC 3339 time', example: '2022-05-27T23:59:59.999Z' })
  @ApiQuery({ name: 'collection', required: false })
  @ApiQuery({ name: 'status', required: false, enum: ['SCHEDULED', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELED'] })
  @ApiQuery({ name: 'limit', required: false, description: 'At most this many tasks; 0 or absent: all' })
  @ApiAnswer(200, 'Sync tasks', { tasks: [TASK] })
  @ApiAnswer(400, 'Unknown source or collection, or a missing or unparsable parameter', SOURCE_ERROR)
  @ApiAnswer(401, 'Wrong or missing admin token', UNAUTHORIZED)
  async list(@Query() query: Params) {
    const source = required(query, 'source');
    const collection = typeof query.collection === 'string' && query.collection ? query.collection : undefined;
    const jobIds = this.jobsOf(source, collection);
    const from = rfc3339(query, 'start');
    const to = rfc3339(query, 'end');
    const status = statusParam(query);
    const limit = limitParam(query);
    const names = new Map(this.settings.declared!.sources[source].collections.map((c) => [this.jobsOf(source, c.name)[0], c.name]));
    const runs = await readAll<RunDoc>(limit, (size, cursor) => this.queries.execute(new FindRuns({ jobIds, from, to, statuses: status && runStatusesOf(status), limit: size, cursor })));
    return { tasks: runs.map((run) => toJitsuTask(run, source, names.get(run.jobId)!)) };
  }

  @Get(':task_id')
  @ApiOperation({ summary: 'A sync task' })
  @ApiParam({ name: 'task_id', example: TASK.id })
  @ApiAnswer(200, 'Sync task payload', { id: TASK.id, source: 'crm', collection: 'people', priority: 299998384583699, created_at: TASK.created_at, status: 'SCHEDULED' })
  @ApiAnswer(400, 'No such task', NO_TASK)
  @ApiAnswer(401, 'Wrong or missing admin token', UNAUTHORIZED)
  async get(@Param('task_id') taskId: string) {
    const { run, source, collection } = await this.task(taskId);
    return toJitsuTask(run, source, collection);
  }

  @Get(':task_id/logs')
  @ApiOperation({ summary: 'Log lines of a sync task between start and end (both optional, inclusive), oldest first' })
  @ApiParam({ name: 'task_id', example: TASK.id })
  @ApiQuery({ name: 'start', required: false, description: 'RFC 3339 time' })
  @ApiQuery({ name: 'end', required: false, description: 'RFC 3339 time' })
  @ApiAnswer(200, 'Sync task log messages', {
    logs: [{ time: '2021-03-10T22:45:03.870000Z', message: `[${TASK.id}] FINISHED SUCCESSFULLY in [1.28] seconds (~ 0.02 minutes)`, level: 'info', system: 'Sluice' }],
  })
  @ApiAnswer(400, 'No such task, or an unparsable time', NO_TASK)
  @ApiAnswer(401, 'Wrong or missing admin token', UNAUTHORIZED)
  async logs(@Param('task_id') taskId: string, @Query() query: Params) {
    const from = query.start === undefined || query.start === '' ? undefined : rfc3339(query, 'start');
    const to = query.end === undefined || query.end === '' ? undefined : rfc3339(query, 'end');
    const { run, source, collection } = await this.task(taskId);
    const lines = await readAll<LogDoc>(0, (limit, cursor) => this.queries.execute(new RunLogs(run.id, { from, to, limit, cursor })));
    return { logs: lines.map((line) => toJitsuLog(line, jitsuTaskId(source, collection, run.id))) };
  }

  @Post(':task_id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a sync task: a scheduled one at once, a running one at its next batch; it ends CANCELED' })
  @ApiParam({ name: 'task_id', example: TASK.id })
  @ApiAnswer(200, 'Canceled (or already canceled)', { status: 'ok' })
  @ApiAnswer(400, 'No such task, or it has already finished', { message: `error changing task [${TASK.id}] status to [CANCELED]`, error: 'The task has already finished: SUCCESS' })
  @ApiAnswer(401, 'Wrong or missing admin token', UNAUTHORIZED)
  async cancel(@Param('task_id') taskId: string, @Ctx() ctx: CommandContext) {
    const { run, source, collection } = await this.task(taskId);
    const failed = `error changing task [${jitsuTaskId(source, collection, run.id)}] status to [CANCELED]`;
    const { position } = await this.commands.execute(new CancelRun(run.id, ctx)).catch((error) => {
      // The run decides, not this read of it: a run that has ended says so.
      if (error instanceof DomainError && error.code === 'RUN.NOT_ACTIVE') throw new JitsuError(400, failed, `The task has already finished: ${error.message}`);
      return inJitsuWords(failed)(error);
    });
    if (position) await this.queries.execute(new GetRun(run.id, position));
    return { status: 'ok' };
  }

  /** The jobs of a declared source (all its collections, or one); Jitsu's 400 for an unknown source or collection. */
  private jobsOf(source: string, collection?: string): string[] {
    const pair = declaredPair(this.settings.declared, source, collection);
    if ('jobIds' in pair) return pair.jobIds;
    if (pair.unknown === 'source') throw new JitsuError(400, 'Error getting source', `Source [${source}] doesn't exist`);
    throw new JitsuError(400, 'Error getting collection', `Collection [${collection}] doesn't exist in source [${source}]`);
  }

  /** The run behind a task id of a declared pair; Jitsu's 400 for any other id. */
  private async task(taskId: string): Promise<{ run: RunDoc; source: string; collection: string }> {
    const missing = new JitsuError(400, 'Tasks gathering failed', `Error getting task by id [${taskId}] from storage: Sync task wasn't found`);
    const parsed = parseTaskId(taskId);
    const pair = parsed && pairNamed(this.settings.declared, parsed.prefix);
    if (!parsed || !pair) throw missing;
    const run: RunDoc | undefined = await this.queries.execute(new GetRun(parsed.runId)).catch((error) => {
      if (error instanceof DomainError && error.code === 'RUN.NOT_FOUND') return undefined;
      throw error;
    });
    if (!run || run.jobId !== pair.jobId) throw missing;
    return { run, source: pair.source, collection: pair.collection };
  }
}

/** Every item of a paged query, or the first `limit` (0: all). */
async function readAll<T>(limit: number, page: (size: number, cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const size = limit ? Math.min(PAGE, limit - items.length) : PAGE;
    const next = await page(size, cursor);
    items.push(...next.items);
    cursor = next.next;
  } while (cursor && (!limit || items.length < limit));
  return items;
}
