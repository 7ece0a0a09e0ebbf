import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation } from '@nestjs/swagger';
import { DomainError } from '../../core/errors.js';
import type { CommandContext } from '../../core/write-path.js';
import type { DataSyncSpec } from '../../datasyncs/datasync.model.js';
import {
  CreateDataSync,
  type DataSyncChanges,
  DeleteDataSync,
  IssueDataSyncToken,
  LaunchDataSync,
  RevokeDataSyncToken,
  UpdateDataSync,
} from '../../datasyncs/datasyncs.commands.js';
import { type DataSyncView, GetDataSync, ListDataSyncs } from '../../datasyncs/datasyncs.queries.js';
import { ApiAnswer, ApiErrors } from '../../http/api-docs.js';
import { Ctx } from '../../http/command-context.js';
import { PageQueryDto } from '../../http/page-query.dto.js';
import { GetToken } from '../../identity/identity.queries.js';
import { GetRun } from '../../runs/runs.queries.js';
import type { RunDoc } from '../../runs/runs.read-model.js';
import { CreateDataSyncDto, UpdateDataSyncDto } from './datasyncs.dto.js';
import { IdParam } from './id-param.js';
import { SluiceController } from './native.decorators.js';

const LAUNCH_EXAMPLE = {
  id: 1042,
  run_id: '3f2b8c1a-5d4e-4f6a-9b7c-8d9e0f1a2b3c',
  status: 'succeeded',
  trigger: 'manual',
  requested_by: 'user:ada',
  queued_at: '2026-11-23T02:00:00.000Z',
  started_at: '2026-11-23T02:00:00.120Z',
  finished_at: '2026-11-23T02:00:04.000Z',
  rows_read: 1200,
  rows_written: 1200,
  error: null,
  cancelled_by: null,
};

const DATASYNC_EXAMPLE = {
  id: '0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21',
  name: 'Customers nightly',
  kind: 'export',
  connection_id: '5a1d7c2e-3b4f-4e6a-8c9d-0e1f2a3b4c5d',
  table: 'customers',
  key_columns: ['email'],
  schedule: { enabled: true, cron: '0 2 * * *', timezone: 'Europe/Madrid' },
  enabled: true,
  auth: true,
  latest_launch: LAUNCH_EXAMPLE,
  next_launch: '2026-11-24T01:00:00.000Z',
  created_at: '2026-11-20T09:00:00.000Z',
  created_by: 'user:ada',
  updated_at: '2026-11-22T17:30:00.000Z',
  version: 3,
};

const TOKEN_EXAMPLE = { token_id: '9d3b7f2a-1c4e-4b5d-8e6f-7a8b9c0d1e2f', token: 'slc_q3JbX1oV0w4m8l2Yc7Rk5nTzA9dFhE6uPsGiWxKyLvB' };

export function toLaunchView(run: RunDoc) {
  return {
    id: run.number,
    run_id: run.id,
    status: run.status,
    trigger: run.trigger,
    requested_by: run.requestedBy,
    queued_at: run.queuedAt,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    rows_read: run.rowsRead,
    rows_written: run.rowsWritten,
    error: run.error,
    cancelled_by: run.cancelledBy,
  };
}

function toDataSyncView(v: DataSyncView) {
  const { job } = v;
  return {
    id: v.id,
    name: job.name,
    kind: v.kind,
    connection_id: v.connectionId,
    table: v.table,
    key_columns: v.keyColumns,
    schedule: job.schedule,
    enabled: job.enabled,
    auth: job.settings.api_auth,
    latest_launch: v.latestLaunch && toLaunchView(v.latestLaunch),
    next_launch: v.nextLaunch,
    created_at: job.createdAt,
    created_by: job.createdBy,
    updated_at: job.updatedAt,
    version: job.version,
  };
}

/** The fields a body sent, in the feature's names; absent ones stay absent so a PUT changes only those. */
function changesOf(dto: UpdateDataSyncDto): DataSyncChanges {
  const changes: DataSyncChanges = {
    name: dto.name,
    connectionId: dto.connection_id,
    table: dto.table,
    keyColumns: dto.key_columns,
    schedule: dto.schedule,
    enabled: dto.enabled,
    auth: dto.auth,
  };
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
}

const NOT_FOUND: [number, string, string] = [404, 'DATASYNC.NOT_FOUND', 'No such data sync'];
const CONFLICT: [number, string, string] = [409, 'CONCURRENCY.CONFLICT', 'A concurrent change; try again'];

/** Data syncs (Prisma Campaigns' import, export and delete of one table): their definition, tokens and launches. */
@SluiceController('Sluice: data syncs', {
  create: 'Administrator',
  list: 'Viewer',
  get: 'Viewer',
  update: 'Administrator',
  remove: 'Administrator',
  issueToken: 'Administrator',
  revokeToken: 'Administrator',
  launch: 'Operator',
})
@Controller('v1/data-syncs')
export class DataSyncsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create a data sync; with `auth: true` the answer also has its first token, shown this once',
    description: 'Its Prisma routes are under /api/data-sync (import and delete take a CSV upload, export answers the latest CSV).',
  })
  @ApiAnswer(201, 'The data sync, with `token_id` and `token` when auth is true', { ...DATASYNC_EXAMPLE, latest_launch: null, ...TOKEN_EXAMPLE })
  @ApiErrors(400, [404, 'CONNECTION.NOT_FOUND', 'No such connection'], [409, 'JOB.NAME_TAKEN', "A job or data sync of the connection's workspace has this name"])
  async create(@Body() dto: CreateDataSyncDto, @Ctx() ctx: CommandContext) {
    const spec: DataSyncSpec = {
      name: dto.name,
      kind: dto.kind,
      connectionId: dto.connection_id,
      table: dto.table,
      keyColumns: dto.key_columns ?? null,
      ...(dto.schedule ? { schedule: dto.schedule } : {}),
      enabled: dto.enabled ?? true,
      auth: dto.auth ?? false,
    };
    const { id, position, token } = await this.commands.execute(new CreateDataSync(spec, ctx));
    const view = toDataSyncView(await this.queries.execute(new GetDataSync(id, position)));
    return token ? { ...view, token_id: token.tokenId, token: token.token } : view;
  }

  @Get()
  @ApiOperation({ summary: 'List data syncs, oldest first, each with its latest launch' })
  @ApiAnswer(200, 'A page of data syncs', { data_syncs: [DATASYNC_EXAMPLE], next_cursor: null })
  @ApiErrors(400)
  async list(@Query() page: PageQueryDto) {
    const { items, next } = await this.queries.execute(new ListDataSyncs(page.limit ?? 100, page.cursor));
    return { data_syncs: items.map(toDataSyncView), next_cursor: next ?? null };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A data sync with its latest launch and its next scheduled one' })
  @ApiAnswer(200, 'The data sync', DATASYNC_EXAMPLE)
  @ApiErrors(NOT_FOUND)
  async get(@IdParam('id', 'DATASYNC.NOT_FOUND') id: string) {
    return toDataSyncView(await this.queries.execute(new GetDataSync(id)));
  }

  @Put(':id')
  @ApiOperation({ summary: 'Change a data sync: only the fields sent change (its kind never does)' })
  @ApiAnswer(200, 'The data sync as changed', DATASYNC_EXAMPLE)
  @ApiErrors(400, NOT_FOUND, [409, 'JOB.NAME_TAKEN', "A job or data sync of the connection's workspace has this name"])
  async update(@IdParam('id', 'DATASYNC.NOT_FOUND') id: string, @Body() dto: UpdateDataSyncDto, @Ctx() ctx: CommandContext) {
    const { position } = await this.commands.execute(new UpdateDataSync(id, changesOf(dto), ctx));
    return toDataSyncView(await this.queries.execute(new GetDataSync(id, position)));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a data sync and its files (every upload and export); its launches stay in the run history',
    description: 'A data sync with a launch queued or running cannot be deleted (409): cancel it or wait for it to end.',
  })
  @ApiAnswer(204, 'Deleted', null)
  @ApiErrors(NOT_FOUND, CONFLICT)
  async remove(@IdParam('id', 'DATASYNC.NOT_FOUND') id: string, @Ctx() ctx: CommandContext) {
    const { position } = await this.commands.execute(new DeleteDataSync(id, ctx));
    // Read your write: once the read models have the deletion, the data sync is not found.
    await this.queries.execute(new GetDataSync(id, position)).catch((error) => {
      if (!(error instanceof DomainError && error.code === 'DATASYNC.NOT_FOUND')) throw error;
    });
  }

  @Post(':id/tokens')
  @ApiOperation({
    summary: 'Issue a token for this data sync only, shown this once',
    description: "Prisma clients send it as HTTP Basic with the user name `api`; revoking it leaves the data sync's other tokens working.",
  })
  @ApiAnswer(201, 'The token', TOKEN_EXAMPLE)
  @ApiErrors(NOT_FOUND)
  async issueToken(@IdParam('id', 'DATASYNC.NOT_FOUND') id: string, @Ctx() ctx: CommandContext) {
    const { tokenId, token, position } = await this.commands.execute(new IssueDataSyncToken(id, ctx));
    await this.queries.execute(new GetToken(tokenId, position));
    return { token_id: tokenId, token };
  }

  @Delete(':id/tokens/:token_id')
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke one of this data sync's tokens: the next request with it, on any instance, is refused" })
  @ApiAnswer(204, 'Revoked', null)
  @ApiErrors([404, 'TOKEN.NOT_FOUND', 'No such data sync, or it has no such token'], CONFLICT)
  async revokeToken(@IdParam('id', 'DATASYNC.NOT_FOUND') id: string, @IdParam('token_id', 'TOKEN.NOT_FOUND') tokenId: string, @Ctx() ctx: CommandContext) {
    const { position } = await this.commands.execute(new RevokeDataSyncToken(id, tokenId, ctx));
    await this.queries.execute(new GetToken(tokenId, position));
  }

  @Post(':id/launch')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Launch an export now (the active launch when one is queued or running)',
    description: 'Imports and deletes launch when a CSV is uploaded to POST /api/data-sync/import/{id} or /api/data-sync/delete/{id}: here they are a 400.',
  })
  @ApiAnswer(202, 'The launch', { ...LAUNCH_EXAMPLE, status: 'queued', started_at: null, finished_at: null, rows_read: 0, rows_written: 0 })
  @ApiErrors(400, NOT_FOUND, [409, 'JOB.DISABLED', 'The data sync is disabled'])
  async launch(@IdParam('id', 'DATASYNC.NOT_FOUND') id: string, @Ctx() ctx: CommandContext) {
    const { runId, position } = await this.commands.execute(new LaunchDataSync(id, undefined, ctx));
    return toLaunchView(await this.queries.execute(new GetRun(runId!, position)));
  }
}
