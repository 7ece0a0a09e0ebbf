import { type BeforeApplicationShutdown, Controller, Headers, Inject, type MessageEvent, Param, Query, Res, Sse } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { Socket } from 'node:net';
import type { Response } from 'express';
import { EMPTY, map, type Observable } from 'rxjs';
import { SETTINGS, type Settings } from '../../config/settings.js';
import { DomainError } from '../../core/errors.js';
import { ApiErrors } from '../../http/api-docs.js';
import { RunLogTail } from '../../tails/run-log-tail.js';
import { RunStatusFeed } from '../../tails/run-status-feed.js';
import { keepAlive, type TailMessage } from '../../tails/tail.js';
import { SluiceController } from './native.decorators.js';

/** A log position as the streams send it in `id:`: a number on the embedded log, `commit/prepare` on EventStoreDB. */
const POSITION = /^\d{1,20}(\/\d{1,20})?$/;
const POSITION_MESSAGE = 'must be the id of an event this stream sent (a log position)';
/** A client that reads slower than a busy run logs is dropped past this, and resumes with Last-Event-ID. */
const MAX_PENDING_CHARACTERS = 16 * 1024 * 1024;

class ResumeQueryDto {
  @IsOptional() @IsString() @Matches(POSITION, { message: `last_event_id ${POSITION_MESSAGE}` })
  @ApiPropertyOptional({ description: 'Resume after this event id, for clients that cannot send Last-Event-ID; the header wins when both are sent' })
  last_event_id?: string;
}

class EventsQueryDto extends ResumeQueryDto {
  @IsOptional() @IsString() @MaxLength(200) @ApiPropertyOptional({ description: "Only this job's runs" })
  job?: string;
}

const LAST_EVENT_ID = { name: 'Last-Event-ID', required: false, description: 'Resume after this event id: only what came after it is sent (EventSource sends it when it reconnects)' };

const eventStream = (description: string, example: string) =>
  ApiResponse({ status: 200, description, content: { 'text/event-stream': { schema: { type: 'string' }, example } } });

/** A message shared by many streams (a live line, a status change) is serialized once. */
const serialized = new WeakMap<TailMessage, MessageEvent>();
function toEvent(m: TailMessage): MessageEvent {
  let event = serialized.get(m);
  if (!event) serialized.set(m, (event = { id: m.position, type: m.event, data: JSON.stringify(m.data) }));
  return event;
}

/** The Last-Event-ID header, or else the last_event_id query parameter. */
function resumeAfter(header: string | undefined, query: string | undefined): string | undefined {
  if (header !== undefined && header !== '' && !POSITION.test(header)) throw new DomainError('VALIDATION', `Last-Event-ID ${POSITION_MESSAGE}`, 'Last-Event-ID');
  return header || query;
}

@SluiceController('Sluice: live tails', { runLog: 'Viewer', runEvents: 'Viewer' })
@Controller('v1')
export class TailsController implements BeforeApplicationShutdown {
  private readonly open = new Set<Response>();

  constructor(
    private readonly runLogs: RunLogTail,
    private readonly statuses: RunStatusFeed,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  @Sse('runs/:run_id/logs/stream', { maxPendingDataLength: MAX_PENDING_CHARACTERS })
  @ApiOperation({
    summary: "A run's log live, over Server-Sent Events",
    description:
      'The lines so far, then each new line as it is written; `id:` is the line\'s log position. When the run ends, `event: end` with its final status, and the stream closes. ' +
      'Reconnecting with Last-Event-ID sends only the lines after it; after the end it answers 204, which tells EventSource to stop. A `: keep-alive` comment comes every 15 s on a quiet stream.',
  })
  @ApiHeader(LAST_EVENT_ID)
  @eventStream(
    'The log lines (shaped like GET /v1/runs/{run_id}/logs lines), then `end`',
    'id: 1042\ndata: {"at":"2026-11-23T08:00:01.400Z","level":"info","message":"Task 1: read 3 rows","task_id":null}\n\nevent: end\nid: 1043\ndata: {"status":"succeeded","error":null,"duration_ms":1280}\n\n',
  )
  @ApiResponse({ status: 204, description: 'The run has ended and the client had its end already' })
  @ApiErrors(400, [404, 'RUN.NOT_FOUND', 'No such run'])
  async runLog(
    @Param('run_id') runId: string,
    @Query() query: ResumeQueryDto,
    @Headers('last-event-id') header: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Observable<MessageEvent>> {
    this.track(res);
    const after = resumeAfter(header, query.last_event_id);
    if ((await this.runLogs.check(runId, after)) === 'ended') {
      res.status(204);
      return EMPTY;
    }
    return this.sse(this.runLogs.open(runId, after));
  }

  @Sse('events/stream')
  @ApiOperation({
    summary: 'Status changes of runs, live, over Server-Sent Events (for dashboards)',
    description:
      'Events `queued`, `started`, `progress` (at most once a second per run, with the rows each running step has processed), `cancelling` and `ended` (status, rows read and written, duration); ' +
      '`id:` is the log position of the change. Without Last-Event-ID it starts now; with it, it sends every change after that id first. A `: keep-alive` comment comes every 15 s on a quiet stream.',
  })
  @ApiHeader(LAST_EVENT_ID)
  @eventStream(
    'Run status changes',
    'event: ended\nid: 1043\ndata: {"run_id":"3f2b8c1a-5d4e-4f6a-9b7c-8d9e0f1a2b3c","job_id":"0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21","at":"2026-11-23T08:00:01.400Z","status":"succeeded","error":null,"rows_read":3,"rows_written":3,"duration_ms":1280}\n\n',
  )
  @ApiErrors(400)
  runEvents(
    @Query() query: EventsQueryDto,
    @Headers('last-event-id') header: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Observable<MessageEvent> {
    this.track(res);
    return this.sse(this.statuses.open(query.job, resumeAfter(header, query.last_event_id)));
  }

  /**
   * The live log closes every stream at shutdown; their connections are closed once the last bytes are out
   * (as Node does for a `Connection: close` answer), or the server would wait for them like for any kept-alive connection before it can stop.
   */
  beforeApplicationShutdown(): void {
    for (const res of this.open) {
      // Taken now: the response lets go of its socket before its own 'finish' listeners run.
      const socket = res.socket as (Socket & { destroySoon?: () => void }) | null;
      res.once('finish', () => socket?.destroySoon?.());
    }
  }

  private track(res: Response): void {
    this.open.add(res);
    res.once('close', () => this.open.delete(res));
  }

  private sse(messages: Observable<TailMessage>): Observable<MessageEvent> {
    return messages.pipe(
      map(toEvent),
      keepAlive<MessageEvent>(this.settings.sseKeepAliveMs, { comment: 'keep-alive' }),
    );
  }
}
