import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation } from '@nestjs/swagger';
import { DocumentAsOf } from '../../audit/audit.queries.js';
import { connectionStream } from '../../connections/connection.decider.js';
import { GetConnection } from '../../connections/connections.queries.js';
import { type ConnectionDoc, CONNECTIONS } from '../../connections/connections.read-model.js';
import { maskSettings } from '../../core/secrets.js';
import { ApiAnswer, ApiErrors, freeForm } from '../../http/api-docs.js';
import { AsOfDto } from './as-of.dto.js';
import { SluiceController } from './native.decorators.js';

const EXAMPLE = {
  id: '5a1d7c2e-3b4f-4e6a-8c9d-0e1f2a3b4c5d',
  workspaceId: 'default',
  name: 'warehouse',
  kind: 'postgres',
  settings: freeForm({ url: 'postgresql://sluice:****@db/dw' }),
  createdAt: '2026-11-20T09:00:00.000Z',
  updatedAt: '2026-11-21T10:00:00.000Z',
  deletedAt: null,
  version: 2,
};

function toConnectionView(connection: ConnectionDoc, deletedAt?: string) {
  const { id, workspaceId, name, kind, settings, createdAt, updatedAt, version } = connection;
  return { id, workspaceId, name, kind, settings: maskSettings(settings), createdAt, updatedAt, deletedAt: deletedAt ?? null, version };
}

@SluiceController('Sluice: connections', { connection: 'Viewer' })
@Controller('v1/connections')
export class ConnectionsController {
  constructor(private readonly queries: QueryBus) {}

  @Get(':id')
  @ApiOperation({ summary: 'A connection, secrets masked; with `as_of`, as it was then, folded from its stream (also after its deletion)' })
  @ApiAnswer(200, 'The connection', EXAMPLE)
  @ApiErrors(400, 404)
  async connection(@Param('id') id: string, @Query() { as_of }: AsOfDto) {
    if (!as_of) return toConnectionView(await this.queries.execute(new GetConnection(id)));
    const { doc, deletedAt } = await this.queries.execute(new DocumentAsOf<ConnectionDoc>(CONNECTIONS, id, connectionStream(id), as_of, 'CONNECTION.NOT_FOUND'));
    return toConnectionView(doc, deletedAt);
  }
}
