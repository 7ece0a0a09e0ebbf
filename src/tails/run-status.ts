import { Inject, Injectable } from '@nestjs/common';
import { type MonoTypeOperatorFunction, Observable } from 'rxjs';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import type { RecordedEvent } from '../core/events.js';
import { type RunEvent, runStream } from '../runs/run.decider.js';
import type { TailMessage } from './tail.js';

/** A run's status change as the events stream sends it; `jobId` is for filtering and is not sent apart from `data`. */
export interface StatusMessage extends TailMessage {
  event: 'queued' | 'started' | 'progress' | 'cancelling' | 'ended';
  jobId: string;
  runId: string;
  at: string;
}

const STATUS_EVENTS = new Set(['RunQueued', 'RunStarted', 'StepProgress', 'RunCancelRequested', 'RunFinished']);
/** Runs whose job is remembered; older ones are looked up again in their stream. */
const JOBS_REMEMBERED = 10_000;
const PROGRESS_EVERY_MS = 1000;

/** Turns run events into status changes; a run's job and, at its end, its row counts come from its stream. */
@Injectable()
export class RunStatusChanges {
  private readonly jobs = new Map<string, string>();

  constructor(@Inject(EVENT_STORE) private readonly events: EventStore) {}

  static concerns(event: RecordedEvent): boolean {
    return event.stream.startsWith('run-') && STATUS_EVENTS.has(event.type);
  }

  async of(recorded: RecordedEvent): Promise<StatusMessage | undefined> {
    const event = recorded as unknown as RunEvent & RecordedEvent;
    const at = recorded.metadata.occurredAt;
    const message = (kind: StatusMessage['event'], runId: string, jobId: string, data: object): StatusMessage => ({
      position: recorded.position,
      event: kind,
      runId,
      jobId,
      at,
      data: { run_id: runId, job_id: jobId, at, ...data },
    });
    switch (event.type) {
      case 'RunQueued': {
        const { runId, jobId, jobName, trigger, requestedBy } = event.data;
        this.remember(runId, jobId);
        return message('queued', runId, jobId, { job_name: jobName, trigger, requested_by: requestedBy });
      }
      case 'RunStarted':
        return message('started', event.data.runId, await this.jobOf(event.data.runId), {});
      case 'StepProgress':
        return message('progress', event.data.runId, await this.jobOf(event.data.runId), {
          steps: [{ task_id: event.data.taskId, rows_processed: event.data.rowsProcessed }],
        });
      case 'RunCancelRequested':
        return message('cancelling', event.data.runId, await this.jobOf(event.data.runId), {});
      case 'RunFinished': {
        const { runId, status, error, durationMs } = event.data;
        const counts = await this.counts(runId, recorded.revision);
        this.jobs.delete(runId);
        return message('ended', runId, counts.jobId, { status, error: error ?? null, rows_read: counts.rowsRead, rows_written: counts.rowsWritten, duration_ms: durationMs });
      }
      default:
        return undefined;
    }
  }

  private remember(runId: string, jobId: string): void {
    this.jobs.set(runId, jobId);
    if (this.jobs.size > JOBS_REMEMBERED) this.jobs.delete(this.jobs.keys().next().value!);
  }

  private async jobOf(runId: string): Promise<string> {
    const known = this.jobs.get(runId);
    if (known) return known;
    const [queued] = await this.events.readStream(runStream(runId), { maxCount: 1 });
    const jobId = (queued?.data as { jobId?: string } | undefined)?.jobId ?? '';
    this.remember(runId, jobId);
    return jobId;
  }

  /** Rows read and written by the run's steps up to its end, as the runs read model adds them up. */
  private async counts(runId: string, untilRevision: number): Promise<{ jobId: string; rowsRead: number; rowsWritten: number }> {
    const events = (await this.events.readStream(runStream(runId), { maxCount: untilRevision + 1 })) as unknown as RunEvent[];
    let jobId = '';
    const steps = new Map<string, { rowsRead: number; rowsWritten: number }>();
    for (const e of events) {
      if (e.type === 'RunQueued') jobId = e.data.jobId;
      if (e.type === 'StepCompleted' || e.type === 'StepFailed' || e.type === 'StepCancelled') steps.set(e.data.taskId, { rowsRead: e.data.rowsRead, rowsWritten: e.data.rowsWritten });
    }
    const sum = (field: 'rowsRead' | 'rowsWritten') => [...steps.values()].reduce((n, s) => n + s[field], 0);
    return { jobId, rowsRead: sum('rowsRead'), rowsWritten: sum('rowsWritten') };
  }
}

/**
 * At most one progress message a second per run (by the times the progress was recorded): a step's
 * progress that comes sooner is kept and sent with the run's next one, so no running step goes unreported.
 */
export function coalesceProgress(): MonoTypeOperatorFunction<StatusMessage> {
  return (source) =>
    new Observable<StatusMessage>((subscriber) => {
      const runs = new Map<string, { sentAt: number; steps: Map<string, unknown> }>();
      return source.subscribe({
        next: (message) => {
          if (message.event === 'ended') runs.delete(message.runId);
          if (message.event !== 'progress') return subscriber.next(message);
          const run = runs.get(message.runId) ?? { sentAt: -Infinity, steps: new Map() };
          runs.set(message.runId, run);
          for (const step of (message.data as { steps: Array<{ task_id: string }> }).steps) run.steps.set(step.task_id, step);
          const at = Date.parse(message.at);
          if (at - run.sentAt < PROGRESS_EVERY_MS) return;
          run.sentAt = at;
          subscriber.next({ ...message, data: { ...message.data, steps: [...run.steps.values()] } });
          run.steps.clear();
        },
        error: (error) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
