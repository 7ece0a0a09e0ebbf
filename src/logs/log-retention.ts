import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SETTINGS, type Settings } from '../config/settings.js';
import { READ_STORE, type ReadStore } from '../core/read-store.js';
import { type LogDoc, LOGS } from '../runs/runs.read-model.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How often log lines past their retention are dropped. */
const RETENTION_EVERY_MS = 60 * 60 * 1000;
/** Lines deleted per write: each batch is one short transaction, so projections and queries get in between. */
const BATCH = 1000;

/** The time before which log lines leave the read model, or null when every line is kept. */
export function retentionCutoff(days: number | undefined, now: Date): string | null {
  return days === undefined ? null : new Date(now.getTime() - days * DAY_MS).toISOString();
}

/**
 * Deletes the log lines written before `cutoff` from the read model, oldest first, a batch at a time, until
 * none is left or `stopping()` says to stop; answers how many it deleted. The events stay in the log.
 */
export async function dropLogsBefore(store: ReadStore, cutoff: string, stopping: () => boolean = () => false, collection = LOGS): Promise<number> {
  let dropped = 0;
  while (!stopping()) {
    const { items } = await store.find<LogDoc>(collection, { filter: { at: { $lt: cutoff } }, sort: [{ field: 'at', order: 1 }, { field: 'position', order: 1 }], limit: BATCH });
    if (items.length === 0) break;
    await store.write(items.map((line) => ({ collection, op: 'delete' as const, id: line.id })));
    dropped += items.length;
  }
  return dropped;
}

/**
 * SLUICE_LOG_RETENTION_DAYS: drops older log lines at start and every hour after. Every instance may do
 * it: deleting a line twice changes nothing. The logs projection leaves such lines out too, so a replay
 * does not bring them back.
 */
@Injectable()
export class LogRetention implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('LogRetention');
  private timer?: NodeJS.Timeout;
  private pass?: Promise<number>;
  private stopping = false;

  constructor(
    @Inject(READ_STORE) private readonly store: ReadStore,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  onApplicationBootstrap(): void {
    if (this.settings.logRetentionDays === undefined) return;
    void this.prune();
    // unref: a pending pass never keeps the process alive on its own.
    this.timer = setInterval(() => void this.prune(), RETENTION_EVERY_MS).unref();
  }

  /** Drops the lines past retention as of `now`, after any pass under way, and answers how many it dropped. */
  prune(now = new Date()): Promise<number> {
    const cutoff = retentionCutoff(this.settings.logRetentionDays, now);
    if (cutoff === null || this.stopping) return Promise.resolve(0);
    const pass = (this.pass ?? Promise.resolve(0))
      .then(() => dropLogsBefore(this.store, cutoff, () => this.stopping))
      .then((dropped) => {
        if (dropped) this.logger.log(`Dropped ${dropped} log lines older than ${cutoff} (SLUICE_LOG_RETENTION_DAYS=${this.settings.logRetentionDays})`);
        return dropped;
      })
      .catch((error) => {
        this.logger.error(`Could not drop old log lines: ${(error as Error).message}; trying again within the hour`);
        return 0;
      });
    this.pass = pass;
    void pass.finally(() => {
      if (this.pass === pass) this.pass = undefined;
    });
    return pass;
  }

  /** Stops between two batches, before the stores close. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.pass;
  }
}
