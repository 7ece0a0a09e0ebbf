import { Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiParam, ApiQuery } from '@nestjs/swagger';
import type { Response } from 'express';
import { DomainError } from '../../core/errors.js';
import type { CommandContext } from '../../core/write-path.js';
import { ApiAnswer } from '../../http/api-docs.js';
import { Ctx } from '../../http/command-context.js';
import { checkId, ingestionJobId } from '../../ingestions/ingestion.model.js';
import { ActiveExecution, type ExecutionSearch, LastExecution, SearchExecutions } from '../../ingestions/ingestions.queries.js';
import type { RunStatus } from '../../jobs/job.model.js';
import { CancelRun } from '../../runs/runs.commands.js';
import { GetRun } from '../../runs/runs.queries.js';
import type { RunDoc } from '../../runs/runs.read-model.js';
import { SirenError } from './siren-errors.js';
import { SirenController } from './siren.decorators.js';
import { jobStatus, SIREN_STATES, type SirenState, STATUSES_OF, statusAnswer } from './siren.mapping.js';

type Params = Record<string, unknown>;

const RUNNING = {
  _id: 'postgres-events',
  type: 'ingestion',
  found: true,
  status: { version: 1, id: 'postgres-events', is_running: true, start_time: 1538731228589, infos: 'The job is running.', state: 'running', count: 3459, last_id: '2289' },
};
const ABORTED = {
  _id: 'postgres-events',
  type: 'ingestion',
  found: true,
  status: { version: 1, id: 'postgres-events', is_running: false, is_aborting: true, start_time: 1538733800993, end_time: 1538733805318, infos: 'The job has been aborted.', state: 'aborted', count: 2220, last_id: '2219' },
};
const SEARCH = {
  hits: {
    total: 1,
    hits: [
      {
        _id: 'postgresevents11e247fa-ccb1-11e8-ad75-c293294ec513',
        _source: { ingestion: { version: 1, id: 'postgresevents', is_running: false, start_time: 1539192150699, end_time: 1539192151612, infos: 'The job is done.', state: 'successful', count: 0 } },
      },
    ],
  },
};
const ACTIVE: RunStatus[] = ['queued', 'running', 'cancelling'];
const FINISHED: RunStatus[] = ['succeeded', 'failed', 'cancelled'];
const SEARCH_PARAMS = ['start_time_from', 'start_time_to', 'type', 'state', 'id', 'from', 'size'];
const MAX_WINDOW = 10_000;

function onlyType(type: string): void {
  if (type !== 'ingestion') throw new SirenError(400, 'illegal_argument_exception', `Unknown job type [${type}]: the only type is [ingestion]`);
}

function wholeNumber(query: Params, key: string, fallback?: number): number | undefined {
  const value = query[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) throw new SirenError(400, 'illegal_argument_exception', `[${key}] must be a whole number, not [${String(value)}]`);
  return Number(value);
}

/**
 * Siren's job API over ingestion executions: an execution is a run of the ingestion's job. Status answers
 * `found: false` (404) for an ingestion that is unknown or has never run.
 */
@SirenController('Siren Federate: jobs', { running: 'Viewer', search: 'Viewer', status: 'Viewer', abort: 'Operator' })
@Controller('_siren/connector/jobs')
export class SirenJobsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get('_search')
  @ApiOperation({ summary: 'Finished executions, newest first, filtered by start time (epoch ms, inclusive), type, state and id; paged by from and size' })
  @ApiQuery({ name: 'start_time_from', required: false, schema: { type: 'integer' } })
  @ApiQuery({ name: 'start_time_to', required: false, schema: { type: 'integer' } })
  @ApiQuery({ name: 'type', required: false, enum: ['ingestion'] })
  @ApiQuery({ name: 'state', required: false, enum: [...SIREN_STATES] })
  @ApiQuery({ name: 'id', required: false })
  @ApiQuery({ name: 'from', required: false, schema: { type: 'integer', default: 0 } })
  @ApiQuery({ name: 'size', required: false, schema: { type: 'integer', default: 10 } })
  @ApiAnswer(200, 'The matching executions', SEARCH)
  async search(@Query() query: Params) {
    const unknown = Object.keys(query).find((key) => !SEARCH_PARAMS.includes(key));
    if (unknown) throw new SirenError(400, 'illegal_argument_exception', `request [/_siren/connector/jobs/_search] contains unrecognized parameter: [${unknown}]`);
    const text = (key: string) => {
      const value = query[key];
      if (value !== undefined && typeof value !== 'string') throw new SirenError(400, 'illegal_argument_exception', `[${key}] must be given once`);
      return value;
    };
    const state = text('state');
    if (state !== undefined && !SIREN_STATES.includes(state as SirenState)) {
      throw new SirenError(400, 'illegal_argument_exception', `[state] must be one of ${SIREN_STATES.join(', ')}, not [${state}]`);
    }
    const id = text('id');
    const from = wholeNumber(query, 'from', 0)!;
    const size = wholeNumber(query, 'size', 10)!;
    if (from + size > MAX_WINDOW) throw new SirenError(400, 'illegal_argument_exception', `Result window is too large, from + size must be less than or equal to: [${MAX_WINDOW}]`);
    const type = text('type');
    if (type !== undefined) onlyType(type);
    const search: ExecutionSearch = {
      ...(id !== undefined ? { jobIds: [ingestionJobId(checkId(id, 'ingestion'))] } : {}),
      statuses: state ? STATUSES_OF(state as SirenState).filter((s) => FINISHED.includes(s)) : FINISHED,
      startFrom: wholeNumber(query, 'start_time_from'),
      startTo: wholeNumber(query, 'start_time_to'),
      from,
      size,
    };
    if (!search.statuses.length) return { hits: { total: 0, hits: [] } };
    const { total, runs } = await this.queries.execute<SearchExecutions, { total: number; runs: RunDoc[] }>(new SearchExecutions(search));
    return { hits: { total, hits: runs.map((run) => ({ _id: `${run.jobName}${run.id}`, _source: { ingestion: jobStatus(run.jobName, run) } })) } };
  }

  @Get(':type')
  @ApiOperation({ summary: 'The status of every running execution of this type, oldest first' })
  @ApiParam({ name: 'type', enum: ['ingestion'] })
  @ApiAnswer(200, 'The running executions', { jobs: [RUNNING] })
  async running(@Param('type') type: string) {
    onlyType(type);
    const { runs } = await this.queries.execute<SearchExecutions, { total: number; runs: RunDoc[] }>(new SearchExecutions({ statuses: ACTIVE, from: 0, size: MAX_WINDOW }));
    return { jobs: runs.reverse().map((run) => statusAnswer(run.jobName, run)) };
  }

  @Get(':type/:id')
  @ApiOperation({ summary: 'The status of the running execution of an ingestion, else of its last one' })
  @ApiAnswer(200, 'Its status', RUNNING)
  @ApiAnswer(404, 'Unknown ingestion, or one that never ran', { _id: 'postgres-events', type: 'ingestion', found: false })
  async status(@Param('type') type: string, @Param('id') id: string, @Res({ passthrough: true }) res: Response) {
    onlyType(type);
    const run = await this.lastExecution(id);
    if (!run) return void res.status(404).json({ _id: id, type, found: false });
    return statusAnswer(id, run);
  }

  private lastExecution(id: string): Promise<RunDoc | null> {
    return this.queries.execute(new LastExecution(ingestionJobId(checkId(id, 'ingestion'))));
  }

  @Post(':type/:id/_abort')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop the running execution: aborting while its batch in flight stops, then aborted, with the count and last id of the rows done' })
  @ApiAnswer(200, 'Its status', ABORTED)
  @ApiAnswer(404, 'Unknown ingestion, or one that never ran', { _id: 'postgres-events', type: 'ingestion', found: false })
  @ApiAnswer(409, 'No execution is running', { error: { root_cause: [{ type: 'status_exception', reason: 'Ingestion [postgres-events] is not running' }], type: 'status_exception', reason: 'Ingestion [postgres-events] is not running' }, status: 409 })
  async abort(@Param('type') type: string, @Param('id') id: string, @Ctx() ctx: CommandContext, @Res({ passthrough: true }) res: Response) {
    onlyType(type);
    const jobId = ingestionJobId(checkId(id, 'ingestion'));
    const runId: string | null = await this.queries.execute(new ActiveExecution(jobId));
    if (!runId) {
      if (!(await this.lastExecution(id))) return void res.status(404).json({ _id: id, type, found: false });
      throw new SirenError(409, 'status_exception', `Ingestion [${id}] is not running`);
    }
    const { position } = await this.commands.execute(new CancelRun(runId, ctx)).catch((error) => {
      // The execution ended between the two reads.
      if (error instanceof DomainError && error.status === 409) throw new SirenError(409, 'status_exception', `Ingestion [${id}] is not running`);
      throw error;
    });
    return statusAnswer(id, await this.queries.execute<GetRun, RunDoc>(new GetRun(runId, position)));
  }
}
