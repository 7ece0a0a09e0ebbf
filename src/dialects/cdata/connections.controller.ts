import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation } from '@nestjs/swagger';
import { ChangeConnection } from '../../connections/connections.commands.js';
import { GetConnection, ListConnections } from '../../connections/connections.queries.js';
import type { CommandContext } from '../../core/write-path.js';
import { ApiAnswer, ApiErrors } from '../../http/api-docs.js';
import { Ctx } from '../../http/command-context.js';
import { toCDataConnection } from './cdata.mapping.js';
import { CDataController } from './cdata.decorators.js';
import { CreateConnectionDto, UpdateConnectionDto } from './connections.dto.js';
import { CONNECTION_EXAMPLE, list } from './examples.js';
import { PageQueryDto } from '../../http/page-query.dto.js';

@CDataController('CData Sync v2: connections', { create: 'Administrator', list: 'Viewer', get: 'Viewer', update: 'Administrator', remove: 'Administrator' })
@Controller('api.rsc/v2')
export class CDataConnectionsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('workspaces/:workspace_id/connections')
  @ApiOperation({ summary: 'Create a connection in a workspace' })
  @ApiAnswer(201, 'The connection', CONNECTION_EXAMPLE)
  @ApiErrors(400, 409)
  async create(@Param('workspace_id') workspaceId: string, @Body() dto: CreateConnectionDto, @Ctx() ctx: CommandContext) {
    const connectionId = randomUUID();
    const command = { type: 'CreateConnection' as const, data: { connectionId, workspaceId, ...dto } };
    const { position } = await this.commands.execute(new ChangeConnection(connectionId, command, ctx));
    return toCDataConnection(await this.queries.execute(new GetConnection(connectionId, position)));
  }

  @Get('workspaces/:workspace_id/connections')
  @ApiOperation({ summary: 'List the connections of a workspace' })
  @ApiAnswer(200, 'A page of connections', list(CONNECTION_EXAMPLE))
  @ApiErrors(400)
  async list(@Param('workspace_id') workspaceId: string, @Query() page: PageQueryDto) {
    const { items, next } = await this.queries.execute(new ListConnections(workspaceId, page.limit ?? 100, page.cursor));
    return { value: items.map(toCDataConnection), next_cursor: next ?? null };
  }

  @Get('connections/:id')
  @ApiOperation({ summary: 'Retrieve a connection' })
  @ApiAnswer(200, 'The connection', CONNECTION_EXAMPLE)
  @ApiErrors(404)
  async get(@Param('id') id: string) {
    return toCDataConnection(await this.queries.execute(new GetConnection(id)));
  }

  @Put('connections/:id')
  @ApiOperation({ summary: 'Update a connection (name, settings)' })
  @ApiAnswer(200, 'The updated connection', CONNECTION_EXAMPLE)
  @ApiErrors(400, 404, 409)
  async update(@Param('id') id: string, @Body() dto: UpdateConnectionDto, @Ctx() ctx: CommandContext) {
    const { position } = await this.commands.execute(new ChangeConnection(id, { type: 'UpdateConnection', data: dto }, ctx));
    return toCDataConnection(await this.queries.execute(new GetConnection(id, position)));
  }

  @Delete('connections/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a connection no job uses' })
  @ApiAnswer(204, 'Deleted', null)
  @ApiErrors(404, [409, 'CONNECTION.IN_USE', 'A job still uses the connection; or a concurrent change'])
  async remove(@Param('id') id: string, @Ctx() ctx: CommandContext) {
    await this.commands.execute(new ChangeConnection(id, { type: 'DeleteConnection', data: {} }, ctx));
  }
}
