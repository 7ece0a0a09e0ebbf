import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { CronExpressionParser } from 'cron-parser';
import { type JobRecord, JOBS } from '../jobs/jobs.read-model.js';
import { READ_STORE, type ReadStore } from '../core/read-store.js';
import { type JobType, runsOnFile, type Schedule } from '../jobs/job.model.js';
import { ExecuteJob } from '../runs/runs.commands.js';
import { systemClock } from '../core/write-path.js';

const TICK_MS = 1000;

/** The latest cron slot at or before `now`, as an ISO string. */
export function latestSlot(schedule: Schedule, now: Date): string {
  return slotsAround(schedule, now).latest;
}

/** The next slot a job's schedule will fire, or null when it is off (or the job never runs on one). */
export function nextRunAt(job: Pick<JobRecord, 'schedule' | 'lastSlot'> & { type?: JobType }, now: Date): string | null {
  if (!job.schedule.enabled || !job.schedule.cron || runsOnFile(job.type)) return null;
  return slotsAround(job.schedule, now).next;
}

interface Slots {
  /** From this instant (the latest slot) until `nextAt`, the answers below hold. */
  from: number;
  nextAt: number;
  latest: string;
  next: string | null;
}

/**
 * Parsing a cron expression took 100–500 µs, on every GET of a scheduled job and for every schedule at every tick
 * of the scheduler. Between two slots the latest and the next slot do not change, so they are kept per
 * expression and zone until the next slot passes.
 */
const slots = new Map<string, Slots>();
const MAX_EXPRESSIONS = 10_000;

function slotsAround(schedule: Pick<Schedule, 'cron' | 'timezone'>, now: Date): Slots {
  const key = `${schedule.timezone}\n${schedule.cron}`;
  const t = now.getTime();
  const kept = slots.get(key);
  if (kept && kept.from <= t && t < kept.nextAt) return kept;
  const parse = (at: number) => CronExpressionParser.parse(schedule.cron, { currentDate: new Date(at), tz: schedule.timezone });
  const latest = parse(t + 1).prev();
  const next = parse(t).next();
  const found: Slots = { from: latest.getTime(), nextAt: next.getTime(), latest: latest.toISOString() ?? '', next: next.toISOString() ?? null };
  if (slots.size >= MAX_EXPRESSIONS) slots.clear();
  slots.set(key, found);
  return found;
}

/**
 * Fires cron slots. Every second it looks at the enabled schedules (the read model is a hint) and asks each
 * job to run its latest due slot; the job's stream decides, so a slot fires once however many instances ask.
 * A slot missed while Sluice was down fires once at start-up; older missed slots are not replayed.
 */
@Injectable()
export class Scheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Scheduler');
  private timer?: NodeJS.Timeout;
  private ticking = false;
  /** Jobs with a schedule that cannot fire, already logged. */
  private readonly unschedulable = new Set<string>();

  constructor(
    @Inject(READ_STORE) private readonly reads: ReadStore,
    private readonly commands: CommandBus,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async tick(now = new Date()): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      let cursor: string | undefined;
      do {
        const page = await this.reads.find<JobRecord>(JOBS, { filter: { 'schedule.enabled': true }, limit: 200, cursor });
        for (const job of page.items) await this.fire(job, now);
        cursor = page.next;
      } while (cursor);
    } catch (error) {
      this.logger.error(`Scheduler tick failed: ${(error as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  private async fire(job: JobRecord, now: Date): Promise<void> {
    if (!job.schedule.cron || job.enabled === false) return;
    if (runsOnFile(job.type)) {
      // A schedule stored before imports and deletes were refused one: it never fires, said once per job.
      if (!this.unschedulable.has(job.id)) this.logger.warn(`Job ${job.id} is a data sync ${job.type.toLowerCase()}, which runs only on an uploaded file: its schedule is ignored`);
      this.unschedulable.add(job.id);
      return;
    }
    const slot = latestSlot(job.schedule, now);
    if (slot < job.scheduleSince || (job.lastSlot !== null && slot <= job.lastSlot)) return;
    const ctx = { actor: 'scheduler', correlationId: `${job.id}:${slot}`, commandId: `${job.id}:${slot}:${randomUUID()}`, clock: systemClock };
    try {
      await this.commands.execute(new ExecuteJob(job.id, undefined, ctx, 'schedule', slot));
    } catch (error) {
      this.logger.warn(`Job ${job.id} could not fire slot ${slot}: ${(error as Error).message}`);
    }
  }
}
