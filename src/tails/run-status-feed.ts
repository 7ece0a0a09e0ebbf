import { Inject, Injectable, Logger } from '@nestjs/common';
import { filter, type Observable } from 'rxjs';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import type { RecordedEvent } from '../core/events.js';
import { LiveLog } from './live-log.js';
import { coalesceProgress, RunStatusChanges, type StatusMessage } from './run-status.js';
import { backlogThenLive } from './tail.js';

const PAGE = 1000;

interface Client {
  next(message: StatusMessage): void;
  closed(): void;
}

/**
 * Status changes of every run, for dashboards. One listener on the live log turns each event into a status
 * change once, in log order, and hands it to every open stream; a stream resuming after a position reads
 * the log from there with the same conversion first.
 */
@Injectable()
export class RunStatusFeed {
  private readonly logger = new Logger('RunStatusFeed');
  private readonly clients = new Set<Client>();
  /** The one live listener, while any stream is open. */
  private listening?: Promise<() => void>;
  private converted: Promise<void> = Promise.resolve();

  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    private readonly live: LiveLog,
    private readonly changes: RunStatusChanges,
  ) {}

  /** Changes after the log position `after` (from now on when undefined), of one job's runs or of all. */
  open(jobId: string | undefined, after: string | undefined): Observable<StatusMessage> {
    const messages = backlogThenLive<StatusMessage>(
      after,
      (handlers) => this.join(handlers),
      (from) => (from === undefined ? noBacklog() : this.backlog(from)),
    );
    return messages.pipe(
      filter((m) => jobId === undefined || m.jobId === jobId),
      coalesceProgress(),
    );
  }

  private async join(client: Client): Promise<() => void> {
    this.clients.add(client);
    try {
      this.listening ??= this.live.listen(undefined, { event: (e) => this.convert(e), closed: () => this.closeAll() }).catch((error) => {
        this.listening = undefined;
        throw error;
      });
      await this.listening;
    } catch (error) {
      this.clients.delete(client);
      throw error;
    }
    return () => {
      this.clients.delete(client);
      if (this.clients.size > 0) return;
      const listening = this.listening;
      this.listening = undefined;
      void listening?.then((stop) => stop());
    };
  }

  /** Converts one event at a time, so clients get the changes in log order. */
  private convert(event: RecordedEvent): void {
    if (!RunStatusChanges.concerns(event)) return;
    this.converted = this.converted
      .then(() => this.changes.of(event))
      .then(
        (message) => {
          if (message) for (const client of this.clients) client.next(message);
        },
        (error) => this.logger.error(`Event ${event.position} (${event.type}) could not be turned into a status change: ${(error as Error).message}`),
      );
  }

  private closeAll(): void {
    const clients = [...this.clients];
    this.clients.clear();
    for (const client of clients) client.closed();
  }

  private async *backlog(after: string): AsyncGenerator<StatusMessage> {
    for (let from = after; ; ) {
      const page = await this.events.readAll({ after: from, maxCount: PAGE });
      for (const event of page) {
        const message = RunStatusChanges.concerns(event) ? await this.changes.of(event) : undefined;
        if (message) yield message;
      }
      if (page.length < PAGE) return;
      from = page[page.length - 1].position;
    }
  }
}

async function* noBacklog(): AsyncGenerator<StatusMessage> {}
