import { Inject, Injectable } from '@nestjs/common';
import { type Observable, takeWhile } from 'rxjs';
import { DomainError } from '../core/errors.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { comparePositions, type RecordedEvent } from '../core/events.js';
import { type RunEvent, runStream } from '../runs/run.decider.js';
import { LiveLog } from './live-log.js';
import { backlogThenLive, type TailMessage } from './tail.js';

const PAGE = 1000;

/** Every open tail of a run is handed the same live event: it is converted once, for all of them. */
const converted = new WeakMap<RecordedEvent, TailMessage | undefined>();

function toMessage(recorded: RecordedEvent): TailMessage | undefined {
  if (!converted.has(recorded)) converted.set(recorded, convert(recorded));
  return converted.get(recorded);
}

/** A run event as the tail shows it: a log line (shaped like GET /v1/runs/{id}/logs lines), the end, or nothing. */
function convert(recorded: RecordedEvent): TailMessage | undefined {
  const event = recorded as unknown as RunEvent & RecordedEvent;
  if (event.type === 'RunLogged') {
    const { level, message, taskId } = event.data;
    return { position: recorded.position, data: { at: recorded.metadata.occurredAt, level, message, task_id: taskId ?? null } };
  }
  if (event.type === 'RunFinished') {
    const { status, error, durationMs } = event.data;
    return { position: recorded.position, event: 'end', data: { status, error: error ?? null, duration_ms: durationMs } };
  }
  return undefined;
}

/** The live tail of one run's log: its lines so far, each new one as it is written, then its end. */
@Injectable()
export class RunLogTail {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly live: LiveLog,
  ) {}

  /**
   * What opening the tail after `after` would send, checked before the stream starts: RUN.NOT_FOUND for an
   * unknown run, and `ended` when the client has already had the run's end (nothing more will come).
   */
  async check(runId: string, after: string | undefined): Promise<'open' | 'ended'> {
    const last = await this.events.readLast(runStream(runId));
    if (!last) throw new DomainError('RUN.NOT_FOUND', `Run ${runId} not found`);
    return last.type === 'RunFinished' && comparePositions(last.position, after) <= 0 ? 'ended' : 'open';
  }

  /** Lines after the log position `after` (all of them when undefined), ending with `end` once the run has ended. */
  open(runId: string, after: string | undefined): Observable<TailMessage> {
    const stream = runStream(runId);
    const messages = backlogThenLive<TailMessage>(
      after,
      (handlers) =>
        this.live.listen(stream, {
          event: (e) => {
            const message = toMessage(e);
            if (message) handlers.next(message);
          },
          closed: handlers.closed,
        }),
      (from) => this.backlog(stream, from),
    );
    return messages.pipe(takeWhile((m) => m.event !== 'end', true));
  }

  private async *backlog(stream: string, after: string | undefined): AsyncGenerator<TailMessage> {
    for (let revision = 0; ; revision += PAGE) {
      const page = await this.events.readStream(stream, { fromRevision: revision, maxCount: PAGE });
      for (const event of page) {
        const message = comparePositions(event.position, after) > 0 ? toMessage(event) : undefined;
        if (message) yield message;
      }
      if (page.length < PAGE) return;
    }
  }
}
