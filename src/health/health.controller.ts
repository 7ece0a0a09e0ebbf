import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import type { Response } from 'express';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { READ_STORE, type ReadStore } from '../core/read-store.js';

/** Whether the event store and the read store answer. No token: load balancers ask it. */
@ApiTags('Sluice: health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) private readonly reads: ReadStore,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Reachability of the event store and the read store (503 when one is down)' })
  async check(@Res({ passthrough: true }) res: Response) {
    try {
      return await this.health.check([() => this.ping('eventStore', () => this.events.ping()), () => this.ping('readStore', () => this.reads.ping())]);
    } catch (error) {
      // Answered as is: the error filter would reduce it to "Service Unavailable" and hide which store is down, and why.
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
}
