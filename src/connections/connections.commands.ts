import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SETTINGS, type Settings } from '../config/settings.js';
import { DomainError } from '../core/errors.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { sealSettings } from '../core/secrets.js';
import { type CommandContext, decideAndAppend, loadState } from '../core/write-path.js';
import type { Changed } from '../jobs/jobs.commands.js';
import { type WorkspaceCommand, workspaceDecider, workspaceStream } from '../workspaces/workspace.decider.js';
import { type ConnectionCommand, type ConnectionState, connectionDecider, connectionStream } from './connection.decider.js';
import { confineSettings } from './connection-paths.js';

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
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async execute({ connectionId, command: asked, ctx }: ChangeConnection): Promise<Changed> {
    const stream = connectionStream(connectionId);
    const { state: current } = await loadState(this.store, stream, connectionDecider);
    const command = this.secure(asked, current);
    const next = connectionDecider.decide(command, current).reduce(connectionDecider.evolve, current);
    if (next.status !== 'none') {
      const rule = workspaceRule(command, connectionId, next.name);
      if (rule) await decideAndAppend(this.store, workspaceStream(next.workspaceId), workspaceDecider, rule, ctx);
    }
    const { position } = await decideAndAppend(this.store, stream, connectionDecider, command, ctx);
    return { id: connectionId, position };
  }

  /** Paths confined, secrets sealed, before anything is decided: no plain secret ever reaches an event. */
  private secure(command: ConnectionCommand, current: ConnectionState): ConnectionCommand {
    if (command.type === 'DeleteConnection' || !command.data.settings) return command;
    for (const [key, value] of Object.entries(command.data.settings)) {
      // Objects are how sealed secrets are stored: one sent in could pass for a secret and skip the checks.
      if (value !== null && typeof value === 'object') {
        throw new DomainError('CONNECTION.SETTINGS_INVALID', `settings.${key} must be a string or a number`, `settings.${key}`);
      }
    }
    const kind = command.type === 'CreateConnection' ? command.data.kind : current.status === 'none' ? undefined : current.kind;
    if (kind) confineSettings(kind, command.data.settings, this.settings);
    const stored = current.status === 'none' ? {} : current.settings;
    return { ...command, data: { ...command.data, settings: sealSettings(this.settings.secretKeys, command.data.settings, stored) } } as ConnectionCommand;
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
