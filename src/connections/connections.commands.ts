import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { type CommandContext, decideAndAppend, loadState } from '../core/write-path.js';
import type { Changed } from '../jobs/jobs.commands.js';
import { type WorkspaceCommand, workspaceDecider, workspaceStream } from '../workspaces/workspace.decider.js';
import { type ConnectionCommand, connectionDecider, connectionStream } from './connection.decider.js';

export class ChangeConnection extends Command<Changed> {
  constructor(
    readonly connectionId: string,
    readonly command: ConnectionCommand,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

/** Names and deletions are checked against the workspace stream first (unique names, connections in use). */
@CommandHandler(ChangeConnection)
export class ChangeConnectionHandler implements ICommandHandler<ChangeConnection> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ connectionId, command, ctx }: ChangeConnection): Promise<Changed> {
    const stream = connectionStream(connectionId);
    const { state: current } = await loadState(this.store, stream, connectionDecider);
    const next = connectionDecider.decide(command, current).reduce(connectionDecider.evolve, current);
    if (next.status !== 'none') {
      const rule = workspaceRule(command, connectionId, next.name);
      if (rule) await decideAndAppend(this.store, workspaceStream(next.workspaceId), workspaceDecider, rule, ctx);
    }
    const { position } = await decideAndAppend(this.store, stream, connectionDecider, command, ctx);
    return { id: connectionId, position };
  }
}

function workspaceRule(command: ConnectionCommand, connectionId: string, name: string): WorkspaceCommand | undefined {
  switch (command.type) {
    case 'CreateConnection':
      return { type: 'RegisterConnection', data: { connectionId, name } };
    case 'UpdateConnection':
      return command.data.name === undefined ? undefined : { type: 'RenameConnection', data: { connectionId, name } };
    case 'DeleteConnection':
      return { type: 'UnregisterConnection', data: { connectionId } };
  }
}
