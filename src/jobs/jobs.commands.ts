import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, type EventStore, WrongExpectedRevisionError } from '../core/event-store.js';
import { type CommandContext, loadState } from '../core/write-path.js';
import { assertStorable } from '../core/storable.js';
import { appendAt, claim, lostRace, type OwnerStream, settleAfter } from '../workspaces/workspace-claims.js';
import { basedOn, type Holds } from '../workspaces/workspace.decider.js';
import { type JobCommand, type JobState, jobDecider } from './job.decider.js';
import { jobStream } from './job.model.js';

export interface Changed {
  id: string;
  /** Where the change landed in the log; queries wait for it to read their own writes. */
  position?: string;
}

/** Any change to a job or its tasks. */
export class ChangeJob extends Command<Changed> {
  constructor(
    readonly jobId: string,
    readonly command: JobCommand,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

const MAX_ATTEMPTS = 5;

/**
 * Job commands append to the job's stream. One that gives the job a name or a connection it does not hold
 * yet first claims them in the workspace stream (unique names, connections in use), and settles the claim
 * after: a failure in between leaves a claim the workspace can release, never a job holding an unclaimed name.
 */
@CommandHandler(ChangeJob)
export class ChangeJobHandler implements ICommandHandler<ChangeJob> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ jobId, command, ctx }: ChangeJob): Promise<Changed> {
    const stream = jobStream(jobId);
    for (let attempt = 1; ; attempt++) {
      const { state: current, revision } = await loadState(this.store, stream, jobDecider);
      // Decided before anything is written anywhere, so invalid input fails with nothing to undo.
      const events = jobDecider.decide(command, current);
      // Refused before the workspace claim, so an unstorable value leaves nothing behind.
      events.forEach((e) => assertStorable(e.data));
      if (events.length === 0) return { id: jobId };
      const next = events.reduce(jobDecider.evolve, current);
      const [before, after] = [jobHolds(current), jobHolds(next)];
      const workspaceId = next.status === 'none' ? '' : next.workspaceId;
      const changesHolds = !sameHolds(before, after);
      if (after && changesHolds) {
        const data = { jobId, basedOn: basedOn(revision), ...after };
        const retry = attempt > 1 ? { owner: { kind: 'job' as const, id: jobId }, revision: basedOn(revision), holds: before } : undefined;
        await claim(this.store, workspaceId, { type: 'ClaimJob', data }, ctx, { job: jobOwner(this.store) }, retry);
      }
      try {
        const { revision: landed, position } = await appendAt(this.store, stream, events, revision, ctx);
        if (changesHolds) await settleAfter(this.store, workspaceId, { kind: 'job', id: jobId }, landed, after, ctx);
        return { id: jobId, position };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        if (attempt >= MAX_ATTEMPTS) throw lostRace(stream);
      }
    }
  }
}

/** What a job holds in its workspace: its name and the connections it uses; nothing once deleted. */
export function jobHolds(state: JobState): Holds | null {
  if (state.status !== 'active') return null;
  const connectionIds = [state.sourceConnectionId, state.destinationConnectionId].filter((c): c is string => !!c);
  return { name: state.name, connectionIds: [...new Set(connectionIds)] };
}

/** A job's stream, as the workspace reads and fences it. */
export function jobOwner(store: EventStore): OwnerStream {
  return {
    async read(id) {
      const { state, revision } = await loadState(store, jobStream(id), jobDecider);
      return { revision, holds: jobHolds(state) };
    },
    fence: (id) => ({ stream: jobStream(id), event: { type: 'JobClaimsReleased', data: { jobId: id } } }),
  };
}

function sameHolds(a: Holds | null, b: Holds | null): boolean {
  if (!a || !b) return a === b;
  return a.name === b.name && [...a.connectionIds].sort().join() === [...b.connectionIds].sort().join();
}
