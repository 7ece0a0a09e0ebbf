import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { type CommandContext, loadState } from '../core/write-path.js';
import { changeWithClaims, type OwnerStream } from '../workspaces/workspace-claims.js';
import type { Holds } from '../workspaces/workspace.decider.js';
import { type JobCommand, type JobState, jobDecider } from './job.decider.js';
import { jobStream } from './job.model.js';
import { taskDestinations } from './task-index.js';

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

/**
 * Job commands append to the job's stream. One that gives the job a name or a connection it does not hold
 * yet first claims them in the workspace stream (unique names, connections in use), and settles the claim
 * after: a failure in between leaves a claim the workspace can release, never a job holding an unclaimed name.
 */
@CommandHandler(ChangeJob)
export class ChangeJobHandler implements ICommandHandler<ChangeJob> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ jobId, command, ctx }: ChangeJob): Promise<Changed> {
    const { position } = await changeWithClaims(
      this.store,
      {
        owner: { kind: 'job', id: jobId },
        stream: jobStream(jobId),
        decider: jobDecider,
        command: () => command,
        holds: jobHolds,
        workspaceOf: (state) => (state.status === 'none' ? '' : state.workspaceId),
        plan: (basedOn, before, after) => (sameHolds(before, after) ? undefined : { claim: after ? { type: 'ClaimJob', data: { jobId, basedOn, ...after } } : undefined }),
        owners: { job: jobOwner(this.store) },
      },
      ctx,
    );
    return { id: jobId, position };
  }
}

/** What a job holds in its workspace: its name and the connections it uses; nothing once deleted. */
export function jobHolds(state: JobState): Holds | null {
  if (state.status !== 'active') return null;
  const connectionIds = [state.sourceConnectionId, state.destinationConnectionId, ...taskDestinations(state.tasks)].filter((c): c is string => !!c);
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
