import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SETTINGS, type Settings } from '../config/settings.js';
import { DomainError } from '../core/errors.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { sealSettings } from '../core/secrets.js';
import { type CommandContext, loadState } from '../core/write-path.js';
import { type Changed, jobOwner } from '../jobs/jobs.commands.js';
import { changeWithClaims, type OwnerStream } from '../workspaces/workspace-claims.js';
import type { Holds, WorkspaceCommand } from '../workspaces/workspace.decider.js';
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

/**
 * A new name is claimed in the workspace stream before the connection's stream, and a delete first retires
 * the connection there (no job may start using it; refused while jobs use it); both are settled after.
 */
@CommandHandler(ChangeConnection)
export class ChangeConnectionHandler implements ICommandHandler<ChangeConnection> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async execute({ connectionId, command, ctx }: ChangeConnection): Promise<Changed> {
    const { position } = await changeWithClaims(
      this.store,
      {
        owner: { kind: 'connection', id: connectionId },
        stream: connectionStream(connectionId),
        decider: connectionDecider,
        command: (current) => this.secure(command, current),
        holds: connectionHolds,
        workspaceOf: (state) => (state.status === 'none' ? '' : state.workspaceId),
        plan: (basedOn, before, after) => {
          const claim = workspaceRule(connectionId, basedOn, before, after);
          return claim && { claim };
        },
        owners: { job: jobOwner(this.store), connection: connectionOwner(this.store) },
      },
      ctx,
    );
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
    const kind = command.data.kind ?? (current.status === 'none' ? undefined : current.kind);
    // The resolved path is what is stored, so a restart from another directory opens the same files.
    const settings = kind ? confineSettings(kind, command.data.settings, this.settings) : command.data.settings;
    // A connection made again, or of another kind now, keeps none of its old secrets.
    const stored = current.status !== 'active' || kind !== current.kind ? {} : current.settings;
    return { ...command, data: { ...command.data, settings: sealSettings(this.settings.secretKeys, settings, stored) } } as ConnectionCommand;
  }
}

function workspaceRule(connectionId: string, revision: number, before: Holds | null, after: Holds | null): WorkspaceCommand | undefined {
  if (!after) return before ? { type: 'RetireConnection', data: { connectionId } } : undefined;
  if (before?.name === after.name) return undefined;
  return { type: 'ClaimConnection', data: { connectionId, basedOn: revision, name: after.name } };
}

function connectionHolds(state: ConnectionState): Holds | null {
  return state.status === 'active' ? { name: state.name, connectionIds: [] } : null;
}

/** A connection's stream, as the workspace reads and fences it. */
function connectionOwner(store: EventStore): OwnerStream {
  return {
    async read(id) {
      const { state, revision } = await loadState(store, connectionStream(id), connectionDecider);
      return { revision, holds: connectionHolds(state) };
    },
    fence: (id) => ({ stream: connectionStream(id), event: { type: 'ConnectionClaimsReleased', data: { connectionId: id } } }),
  };
}
