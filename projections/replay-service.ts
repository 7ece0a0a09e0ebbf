import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { EventStore } from '../src/core/event-store.js';
import type { ReadStore } from '../src/core/read-store.js';
import { type Replay, ReplayNotFoundError, ReplayRunningError, type Replays, UnknownProjectionError } from '../src/core/replays.js';
import type { Projection } from './projection.js';
import { rebuildAndSwap } from './rebuild.js';
import { takeReplayLease } from './replay-lease.js';
import { verifyReadModels } from './verification.js';

/** Finished replays kept for GET, newest last; older ones are forgotten. */
const KEPT = 50;
/** Differences kept in a replay's result; the count in each projection's progress is the full number. */
const DIFFERENCES_KEPT = 1000;

/**
 * Replays started through the API, run in this process while it serves: rebuild into fresh collections in
 * one pass over the log, swap them in (the live runner follows on from the new checkpoints), then verify
 * the swapped-in copies against another rebuild. Replays and their results live in memory only; the
 * replay lease in the read store keeps a second one (here, in another instance or `npm run replay`) out.
 */
export class ReplayService implements Replays {
  private readonly logger = new Logger('Replay');
  private readonly replays = new Map<string, Replay>();
  private running: string | undefined;
  private work: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly events: EventStore,
    private readonly store: ReadStore,
    private readonly projections: Projection[],
  ) {}

  async start(names: string[] | undefined, requestedBy: string): Promise<Replay> {
    const selected = this.select(names);
    if (this.running) throw new ReplayRunningError(`replay ${this.running}`);
    const id = randomUUID();
    this.running = id;
    const lease = await takeReplayLease(this.store, `replay ${id}`).catch((error) => {
      this.running = undefined;
      throw error;
    });
    if ('heldBy' in lease) {
      this.running = undefined;
      throw new ReplayRunningError(lease.heldBy);
    }
    const head = (await this.events.lastPosition()) ?? null;
    const replay: Replay = {
      id,
      status: 'running',
      requestedBy,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      projections: selected.map((p) => ({ name: p.name, phase: 'waiting', events: 0, position: null, total: head })),
      result: null,
    };
    this.keep(replay);
    this.work = this.run(replay, selected).finally(async () => {
      this.running = undefined;
      await lease.release();
    });
    return this.get(id);
  }

  get(id: string): Replay {
    const replay = this.replays.get(id);
    if (!replay) throw new ReplayNotFoundError(id);
    return structuredClone(replay);
  }

  /** Stops a running replay at its next batch (before its swap, if it has not swapped yet) and waits for it. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.work;
  }

  private async run(replay: Replay, selected: Projection[]): Promise<void> {
    const stopped = () => this.stopping;
    const progress = (name: string) => replay.projections.find((p) => p.name === name)!;
    let swapped = false;
    try {
      for (const p of replay.projections) p.phase = 'rebuilding';
      const models = await rebuildAndSwap(this.events, this.store, selected, {
        stopped,
        onProgress: (events, position) => replay.projections.forEach((p) => Object.assign(p, { events, position })),
      });
      swapped = true;
      // Swapped in: the verification's own rebuild comes next.
      for (const m of models) Object.assign(progress(m.projection.name), { phase: 'verifying', events: m.events, position: m.position ?? null });
      const differences = await verifyReadModels(this.events, this.store, selected, {
        stopped,
        onCompare: (name, done, found) => done && Object.assign(progress(name), { phase: found ? 'differs' : 'verified', differences: found }),
      });
      replay.status = differences.length === 0 ? 'succeeded' : 'failed';
      replay.result = {
        swapped,
        verified: differences.length === 0,
        ...(differences.length ? { reason: `the swapped-in read models differ from a second rebuild in ${differences.length} field(s)` } : {}),
        differences: differences.slice(0, DIFFERENCES_KEPT),
      };
    } catch (error) {
      const reason = (error as Error).message;
      this.logger.error(`Replay ${replay.id} failed: ${reason}`);
      for (const p of replay.projections) if (p.phase !== 'verified' && p.phase !== 'differs') p.phase = 'failed';
      replay.status = 'failed';
      replay.result = { swapped, verified: false, reason, differences: [] };
    } finally {
      replay.finishedAt = new Date().toISOString();
    }
  }

  private select(names: string[] | undefined): Projection[] {
    if (names === undefined) return this.projections;
    const known = this.projections.map((p) => p.name);
    const unknown = names.filter((n) => !known.includes(n));
    if (unknown.length) throw new UnknownProjectionError(unknown, known);
    return this.projections.filter((p) => names.includes(p.name));
  }

  private keep(replay: Replay): void {
    this.replays.set(replay.id, replay);
    for (const id of this.replays.keys()) {
      if (this.replays.size <= KEPT) break;
      if (id !== this.running) this.replays.delete(id);
    }
  }
}
