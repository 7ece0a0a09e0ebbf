import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { type CommandContext, decideAndAppend, loadState } from '../core/write-path.js';
import { workspaceDecider, workspaceStream } from '../workspaces/workspace.decider.js';
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

/**
 * Job commands append to the job's stream; those that touch a name or a connection first append to the
 * workspace stream, where the cross-job rules are kept at its expected revision.
 */
@CommandHandler(ChangeJob)
export class ChangeJobHandler implements ICommandHandler<ChangeJob> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ jobId, command, ctx }: ChangeJob): Promise<Changed> {
    const stream = jobStream(jobId);
    const { state: current } = await loadState(this.store, stream, jobDecider);
    // Decide once up front so invalid input fails before anything is written anywhere.
    const next = jobDecider.decide(command, current).reduce(jobDecider.evolve, current);
    await this.register(current, next, ctx);
    const { position } = await decideAndAppend(this.store, stream, jobDecider, command, ctx);
    if (command.type === 'DeleteJob' && current.status === 'active') {
      await decideAndAppend(this.store, workspaceStream(current.workspaceId), workspaceDecider, { type: 'UnregisterJob', data: { jobId } }, ctx);
    }
    return { id: jobId, position };
  }

  private async register(current: JobState, next: JobState, ctx: CommandContext): Promise<void> {
    if (next.status !== 'active') return;
    const connectionIds = [next.sourceConnectionId, next.destinationConnectionId].filter((c): c is string => !!c);
    const data = { jobId: next.jobId, name: next.name, connectionIds };
    if (current.status === 'none') {
      await decideAndAppend(this.store, workspaceStream(next.workspaceId), workspaceDecider, { type: 'RegisterJob', data }, ctx);
    } else if (current.status === 'active' && (current.name !== next.name || sources(current) !== sources(next))) {
      await decideAndAppend(this.store, workspaceStream(next.workspaceId), workspaceDecider, { type: 'ChangeJobRegistration', data }, ctx);
    }
  }
}

const sources = (s: { sourceConnectionId: string | null; destinationConnectionId: string | null }) =>
  `${s.sourceConnectionId}|${s.destinationConnectionId}`;

