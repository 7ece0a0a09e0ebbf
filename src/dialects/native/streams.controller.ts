import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ApiAnswer, ApiErrors } from '../../http/api-docs.js';
import { CurrentPrincipal } from '../../http/command-context.js';
import type { Principal } from '../../identity/principal.js';
import { allows } from '../../identity/roles.js';
import { SluiceController } from './native.decorators.js';
import { ReadStreamEvents } from '../../streams/streams.queries.js';

class StreamPageDto {
  @IsOptional() @Type(() => Number) @IsInt() @Min(0)
  @ApiPropertyOptional({ description: 'First revision to return', default: 0 })
  from?: number;

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  @ApiPropertyOptional({ description: 'Page size', default: 100, maximum: 1000 })
  limit?: number;
}

const EXAMPLE = {
  stream: 'job-0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21',
  events: [
    {
      id: '8a0c3a1e-4f6b-4c53-8e0e-7d0f6a1b2c3d',
      type: 'JobCreated',
      revision: 0,
      position: '42',
      data: { jobId: '0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21', name: 'Nightly' },
      metadata: { actor: 'user:ada', correlationId: 'c0ffee', occurredAt: '2026-11-23T08:00:00.000Z', schemaVersion: 1 },
    },
  ],
  next_from: null,
};

@SluiceController('Sluice: audit', { events: 'Viewer' })
@Controller('v1/streams')
export class StreamsController {
  constructor(private readonly queries: QueryBus) {}

  @Get(':stream/events')
  @ApiOperation({ summary: "The full event history of one of Sluice's streams (job-<id>, run-<id>, connection-<id>, workspace-<id>; user-<id> and token-<id> for Administrators), oldest first, in each event's current shape with secrets masked; never the event store's own `$` streams" })
  @ApiAnswer(200, 'A page of events; next_from is the revision to ask for next', EXAMPLE)
  @ApiErrors(400, [403, 'FORBIDDEN', 'A user or token stream, asked for by someone not an Administrator'], 404)
  async events(@Param('stream') stream: string, @Query() page: StreamPageDto, @CurrentPrincipal() caller: Principal) {
    const mayReadIdentities = allows(caller.roles, 'Administrator');
    const { events, next } = await this.queries.execute(new ReadStreamEvents(stream, page.from ?? 0, page.limit ?? 100, mayReadIdentities));
    return {
      stream,
      events: events.map(({ id, type, revision, position, data, metadata }) => ({ id, type, revision, position, data, metadata })),
      next_from: next ?? null,
    };
  }
}
