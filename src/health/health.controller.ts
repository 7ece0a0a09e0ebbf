import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import type { Response } from 'express';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { READ_MODEL_PROGRESS, type ReadModelProgress } from '../core/read-model-progress.js';
import { READ_STORE, type ReadStore } from '../core/read-store.js';
import { Roles } from '../http/access.js';

/** Whether the event store and the read store answer, and how far each projection is. No token: load balancers ask it. */
@ApiTags('Sluice: health')
@Roles({ check: 'Public' })
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(READ_MODEL_PROGRESS) private readonly progress: ReadModelProgress,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({
    summary:
      'Reachability of the event store and the read store, and each projection: its checkpoint, the log head, how far behind it is, ' +
      'and whether it is stalled on an event it cannot apply (503 when a store is down or a projection is stalled)',
  })
  async check(@Res({ passthrough: true }) res: Response) {
    try {
      return await this.health.check([
        () => this.ping('eventStore', () => this.events.ping()),
        () => this.ping('readStore', () => this.reads.ping()),
        () => this.projections(),
      ]);
    } catch (error) {
      // The details say what is down; the app's error filter would replace them with a generic message.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      res.status(503);
      return error.getResponse();
    }
  }

  private async ping(key: string, ping: () => Promise<void>) {
    const session = this.indicators.check(key);
    try {
      await ping();
      return session.up();
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }

  /** Behind is normal while catching up; stalled means an event keeps failing and the read model stopped moving. */
  private async projections() {
    const session = this.indicators.check('projections');
    try {
      const statuses = await this.progress.status();
      const details = Object.fromEntries(
        statuses.map(({ name, ...status }) => [name, { state: status.stalled ? 'stalled' : status.behind ? 'behind' : 'current', ...status }]),
      );
      return statuses.some((s) => s.stalled) ? session.down(details) : session.up(details);
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }
}
