import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiOperation, ApiParam } from '@nestjs/swagger';
import type { Response } from 'express';
import { ChangeConnection } from '../../connections/connections.commands.js';
import { GetConnection, ListConnections } from '../../connections/connections.queries.js';
import type { ConnectionDoc } from '../../connections/connections.read-model.js';
import { DomainError } from '../../core/errors.js';
import type { Page } from '../../core/read-store.js';
import type { CommandContext } from '../../core/write-path.js';
import { ApiAnswer } from '../../http/api-docs.js';
import { Ctx } from '../../http/command-context.js';
import { checkId, datasourceConnectionId, ingestionJobId, SIREN_WORKSPACE } from '../../ingestions/ingestion.model.js';
import { type Put as Putted, PutDatasource, PutIngestion } from '../../ingestions/ingestions.commands.js';
import { ChangeJob } from '../../jobs/jobs.commands.js';
import { GetJob, ListJobs } from '../../jobs/jobs.queries.js';
import type { JobDoc } from '../../jobs/jobs.read-model.js';
import { type Executed, ExecuteJob } from '../../runs/runs.commands.js';
import { GetRun } from '../../runs/runs.queries.js';
import type { RunDoc } from '../../runs/runs.read-model.js';
import { SirenError } from './siren-errors.js';
import { SirenController } from './siren.decorators.js';
import { datasourceSource, datasourceSpec, ingestionSpec, ingestSource, statusAnswer } from './siren.mapping.js';

const DATASOURCE = { jdbc: { url: 'jdbc:postgresql://db.example.com:5432/shop', username: 'reader', password: 'secret' } };
const INGEST = {
  ingest: {
    datasource: 'postgres',
    query: 'SELECT * FROM events {{#max_primary_key}}WHERE id > {{max_primary_key}}{{/max_primary_key}}',
    target: 'events',
    pk_field: 'id',
    strategy: 'INCREMENTAL',
    batch_size: 1000,
    schedule: '0 0 * * * ?',
    enable_scheduler: true,
    description: 'Events, every hour',
  },
};
const NOT_FOUND = { _id: 'postgres', found: false };
const BAD = { error: { root_cause: [{ type: 'illegal_argument_exception', reason: '[ingest.target] is required' }], type: 'illegal_argument_exception', reason: '[ingest.target] is required' }, status: 400 };
const PAGE = 500;
const IN_USE = 'Datasource [postgres] is used by ingestion(s) "postgres-events"; change or delete them first';
const RUNNING = 'Ingestion [postgres-events] is running and cannot be deleted; abort it or wait for it to finish';

const notFound = (error: unknown) => error instanceof DomainError && error.status === 404;

/** Every document of a listing, page by page. */
async function all<T>(read: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    items.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return items;
}

/**
 * Siren Federate's datasources and ingestions, under the ids the user picks: a datasource is a connection,
 * an ingestion a job of type Ingestion in the `siren` workspace (see ingestion.model.ts). Answers are
 * Elasticsearch documents: `_id`, `found`, `_source`; a PUT says `created` or `updated`.
 */
@SirenController('Siren Federate: datasources and ingestions', {
  putDatasource: 'Administrator',
  listDatasources: 'Viewer',
  getDatasource: 'Viewer',
  deleteDatasource: 'Administrator',
  putIngestion: 'Administrator',
  listIngestions: 'Viewer',
  getIngestion: 'Viewer',
  deleteIngestion: 'Administrator',
  run: 'Operator',
})
@Controller('_siren/connector')
export class SirenConnectorController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Put('datasource/:id')
  @ApiOperation({ summary: 'Create or replace a JDBC datasource (jdbc:postgresql://… or jdbc:sqlite:<file>); its password is kept sealed' })
  @ApiParam({ name: 'id', example: 'postgres' })
  @ApiBody({ schema: { type: 'object', example: DATASOURCE } })
  @ApiAnswer(201, 'Created', { _id: 'postgres', result: 'created' })
  @ApiAnswer(200, 'Replaced', { _id: 'postgres', result: 'updated' })
  @ApiAnswer(400, 'A body Sluice cannot read, or a URL of another database', BAD)
  async putDatasource(@Param('id') id: string, @Body() body: unknown, @Ctx() ctx: CommandContext, @Res({ passthrough: true }) res: Response) {
    const { created, position }: Putted = await this.commands.execute(new PutDatasource(checkId(id, 'datasource'), datasourceSpec(body), ctx));
    await this.queries.execute(new GetConnection(datasourceConnectionId(id), position));
    res.status(created ? 201 : 200);
    return { _id: id, result: created ? 'created' : 'updated' };
  }

  @Get('datasource/_search')
  @ApiOperation({ summary: 'Every datasource' })
  @ApiAnswer(200, 'The datasources', { hits: { total: 1, hits: [{ _id: 'postgres', _source: { jdbc: { url: DATASOURCE.jdbc.url, username: 'reader', password: '****' } } }] } })
  async listDatasources() {
    const docs = await all<ConnectionDoc>((cursor) => this.queries.execute(new ListConnections(SIREN_WORKSPACE, PAGE, cursor)));
    return { hits: { total: docs.length, hits: docs.map((doc) => ({ _id: doc.name, _source: datasourceSource(doc) })) } };
  }

  @Get('datasource/:id')
  @ApiOperation({ summary: 'A datasource, its password masked' })
  @ApiAnswer(200, 'Found', { _id: 'postgres', found: true, _source: { jdbc: { url: DATASOURCE.jdbc.url, username: 'reader', password: '****' } } })
  @ApiAnswer(404, 'No such datasource', NOT_FOUND)
  async getDatasource(@Param('id') id: string, @Res({ passthrough: true }) res: Response) {
    const doc = await this.datasource(id);
    if (!doc) return void res.status(404).json({ _id: id, found: false });
    return { _id: id, found: true, _source: datasourceSource(doc) };
  }

  @Delete('datasource/:id')
  @ApiOperation({ summary: 'Delete a datasource; refused (409) while an ingestion uses it' })
  @ApiAnswer(200, 'Deleted', { _id: 'postgres', result: 'deleted' })
  @ApiAnswer(404, 'No such datasource', { _id: 'postgres', result: 'not_found' })
  @ApiAnswer(409, 'An ingestion uses it', { error: { root_cause: [{ type: 'status_exception', reason: IN_USE }], type: 'status_exception', reason: IN_USE }, status: 409 })
  async deleteDatasource(@Param('id') id: string, @Ctx() ctx: CommandContext, @Res({ passthrough: true }) res: Response) {
    checkId(id, 'datasource');
    const connectionId = datasourceConnectionId(id);
    const deleted = await this.commands.execute(new ChangeConnection(connectionId, { type: 'DeleteConnection', data: {} }, ctx)).then(
      () => true,
      (error) => {
        if (notFound(error)) return false;
        // Named as the user named them: the datasource by its id, the jobs using it are ingestions.
        if (error instanceof DomainError && error.code === 'CONNECTION.IN_USE') {
          throw new SirenError(409, 'status_exception', error.message.replace(`Connection ${connectionId}`, `Datasource [${id}]`).replace('job(s)', 'ingestion(s)'));
        }
        throw error;
      },
    );
    if (!deleted) res.status(404);
    return { _id: id, result: deleted ? 'deleted' : 'not_found' };
  }

  @Put('ingestion/:id')
  @ApiOperation({
    summary:
      'Create or replace an ingestion: its query (a Mustache template, {{max_primary_key}} the highest pk_field loaded) is read from the datasource and loaded into target, in target_datasource or else in Sluice’s own SQLite file',
  })
  @ApiParam({ name: 'id', example: 'postgres-events' })
  @ApiBody({ schema: { type: 'object', example: INGEST } })
  @ApiAnswer(201, 'Created', { _id: 'postgres-events', result: 'created' })
  @ApiAnswer(200, 'Replaced', { _id: 'postgres-events', result: 'updated' })
  @ApiAnswer(400, 'A body Sluice cannot read', BAD)
  @ApiAnswer(404, 'The datasource does not exist', BAD)
  async putIngestion(@Param('id') id: string, @Body() body: unknown, @Ctx() ctx: CommandContext, @Res({ passthrough: true }) res: Response) {
    const { created, position }: Putted = await this.commands.execute(new PutIngestion(checkId(id, 'ingestion'), ingestionSpec(body), ctx));
    await this.queries.execute(new GetJob(ingestionJobId(id), position));
    res.status(created ? 201 : 200);
    return { _id: id, result: created ? 'created' : 'updated' };
  }

  @Get('ingestion/_search')
  @ApiOperation({ summary: 'Every ingestion' })
  @ApiAnswer(200, 'The ingestions', { hits: { total: 1, hits: [{ _id: 'postgres-events', _source: INGEST }] } })
  async listIngestions() {
    const jobs = await all<JobDoc>((cursor) => this.queries.execute(new ListJobs(SIREN_WORKSPACE, PAGE, cursor)));
    const hits = await Promise.all(jobs.map(async (job) => ({ _id: job.name, _source: await this.ingestSource(job) })));
    return { hits: { total: hits.length, hits } };
  }

  @Get('ingestion/:id')
  @ApiOperation({ summary: 'An ingestion' })
  @ApiAnswer(200, 'Found', { _id: 'postgres-events', found: true, _source: INGEST })
  @ApiAnswer(404, 'No such ingestion', { _id: 'postgres-events', found: false })
  async getIngestion(@Param('id') id: string, @Res({ passthrough: true }) res: Response) {
    const job = await this.ingestion(id);
    if (!job) return void res.status(404).json({ _id: id, found: false });
    return { _id: id, found: true, _source: await this.ingestSource(job) };
  }

  @Delete('ingestion/:id')
  @ApiOperation({ summary: 'Delete an ingestion; refused (409) while it runs. Its executions stay searchable' })
  @ApiAnswer(200, 'Deleted', { _id: 'postgres-events', result: 'deleted' })
  @ApiAnswer(404, 'No such ingestion', { _id: 'postgres-events', result: 'not_found' })
  @ApiAnswer(409, 'An execution is running', { error: { root_cause: [{ type: 'status_exception', reason: RUNNING }], type: 'status_exception', reason: RUNNING }, status: 409 })
  async deleteIngestion(@Param('id') id: string, @Ctx() ctx: CommandContext, @Res({ passthrough: true }) res: Response) {
    checkId(id, 'ingestion');
    const deleted = await this.commands.execute(new ChangeJob(ingestionJobId(id), { type: 'DeleteJob', data: {} }, ctx)).then(
      () => true,
      (error) => {
        if (notFound(error)) return false;
        if (error instanceof DomainError && error.code === 'JOB.RUNNING') throw new SirenError(409, 'status_exception', `Ingestion [${id}] is running and cannot be deleted; abort it or wait for it to finish`);
        throw error;
      },
    );
    if (!deleted) res.status(404);
    return { _id: id, result: deleted ? 'deleted' : 'not_found' };
  }

  @Post('ingestion/:id/_run')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start an execution of the ingestion now; its status as the job API shows it' })
  @ApiAnswer(200, 'Started', { _id: 'postgres-events', type: 'ingestion', found: true, status: { version: 1, id: 'postgres-events', is_running: true, start_time: 1538731228589, infos: 'The job is running.', state: 'running', count: 0 } })
  @ApiAnswer(404, 'No such ingestion', BAD)
  @ApiAnswer(409, 'An execution is already running', BAD)
  async run(@Param('id') id: string, @Ctx() ctx: CommandContext) {
    const { runId, created, position }: Executed = await this.commands.execute(new ExecuteJob(ingestionJobId(checkId(id, 'ingestion')), undefined, ctx)).catch((error) => {
      if (error instanceof DomainError && error.code === 'JOB.NOT_FOUND') throw new SirenError(404, 'resource_not_found_exception', `Ingestion [${id}] not found`);
      throw error;
    });
    if (!runId) throw new SirenError(404, 'resource_not_found_exception', `Ingestion [${id}] not found`);
    if (!created) throw new SirenError(409, 'status_exception', `Ingestion [${id}] is already running (execution ${runId})`);
    const run: RunDoc = await this.queries.execute(new GetRun(runId, position));
    return statusAnswer(id, run);
  }

  private datasource(id: string): Promise<ConnectionDoc | null> {
    checkId(id, 'datasource');
    return this.queries.execute<GetConnection, ConnectionDoc>(new GetConnection(datasourceConnectionId(id))).catch((error) => (notFound(error) ? null : Promise.reject(error)));
  }

  private async ingestion(id: string): Promise<JobDoc | null> {
    checkId(id, 'ingestion');
    const job = await this.queries.execute<GetJob, JobDoc>(new GetJob(ingestionJobId(id))).catch((error) => (notFound(error) ? null : Promise.reject(error)));
    return job?.status === 'active' ? job : null;
  }

  private async ingestSource(job: JobDoc) {
    const name = async (connectionId: string | null) =>
      connectionId ? ((await this.queries.execute<GetConnection, ConnectionDoc>(new GetConnection(connectionId)).catch(() => null))?.name ?? null) : null;
    return ingestSource(job, { datasource: await name(job.sourceConnectionId), target: await name(job.destinationConnectionId) });
  }
}
