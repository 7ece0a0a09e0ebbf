import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayNotEmpty, IsArray, IsString, ValidateIf } from 'class-validator';
import { REPLAYS, type Replay, type Replays } from '../../core/replays.js';
import { ApiAnswer, ApiErrors } from '../../http/api-docs.js';
import { CurrentPrincipal } from '../../http/command-context.js';
import type { Principal } from '../../identity/principal.js';
import { SluiceController } from './native.decorators.js';

class ReplayDto {
  // Absent means all; null is refused, not read as absent.
  @ValidateIf((_, value) => value !== undefined) @IsArray() @ArrayNotEmpty() @IsString({ each: true })
  @ApiPropertyOptional({ type: [String], example: ['jobs', 'runs'], description: 'The projections to replay; all of them when omitted' })
  projections?: string[];
}

const REPLAY_EXAMPLE: Replay = {
  id: '5b0f7c2e-1a3d-4e5f-8a9b-0c1d2e3f4a5b',
  status: 'running',
  requestedBy: 'token:admin',
  startedAt: '2026-11-23T08:00:00.000Z',
  finishedAt: null,
  projections: [
    { name: 'jobs', phase: 'verified', events: 1000000, position: '1000000', total: '1000000', differences: 0 },
    { name: 'runs', phase: 'verifying', events: 1000000, position: '1000000', total: '1000000' },
  ],
  result: null,
};

const FINISHED_EXAMPLE: Replay = {
  ...REPLAY_EXAMPLE,
  status: 'succeeded',
  finishedAt: '2026-11-23T08:00:41.000Z',
  projections: REPLAY_EXAMPLE.projections.map((p) => ({ ...p, phase: 'verified', differences: 0 })),
  result: { swapped: true, verified: true, differences: [] },
};

@SluiceController('Sluice: admin', { startReplay: 'Administrator', replay: 'Administrator' })
@Controller('v1/admin/replay')
export class AdminController {
  constructor(@Inject(REPLAYS) private readonly replays: Replays) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Rebuilds read models from the whole event log in this instance while it serves, swaps them in, then verifies the swapped-in copies against a second rebuild. One replay at a time; replays are kept in memory (a restart forgets them)',
  })
  @ApiAnswer(202, 'Started: follow it at GET /v1/admin/replay/{id}', { ...REPLAY_EXAMPLE, projections: REPLAY_EXAMPLE.projections.map((p) => ({ ...p, phase: 'rebuilding', events: 0, position: null })) })
  @ApiErrors([400, 'REPLAY.UNKNOWN_PROJECTION', 'A projection that does not exist; the message lists those that do'], [409, 'REPLAY.RUNNING', 'A replay (or `npm run verify` / `npm run replay`) is already running'])
  async startReplay(@Body() dto: ReplayDto, @CurrentPrincipal() caller: Principal) {
    return this.replays.start(dto.projections, caller.actor);
  }

  @Get(':replay_id')
  @ApiOperation({ summary: "A replay's progress per projection (events applied, position, of the log's head when it began) and, once finished, its result" })
  @ApiAnswer(200, 'The replay', FINISHED_EXAMPLE)
  @ApiErrors([404, 'REPLAY.NOT_FOUND', 'No such replay in this instance'])
  replay(@Param('replay_id') id: string) {
    return this.replays.get(id);
  }
}
