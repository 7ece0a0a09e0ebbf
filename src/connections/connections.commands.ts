import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SETTINGS, type Settings } from '../config/settings.js';
import { DomainError } from '../core/errors.js';
import { EVENT_STORE, type EventStore, WrongExpectedRevisionError } from '../core/event-store.js';
import { sealSettings } from '../core/secrets.js';
import { type CommandContext, loadState } from '../core/write-path.js';
import { assertStorable } from '../core/storable.js';
import { type Changed, jobOwner } from '../jobs/jobs.commands.js';
import { appendAt, claim, lostRace, type OwnerStream, type OwnerStreams, settleAfter } from '../workspaces/workspace-claims.js';
import { basedOn, type Holds, type WorkspaceCommand } from '../workspaces/workspace.decider.js';
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

const MAX_ATTEMPTS = 5;

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

  async execute({ connectionId, command: asked, ctx }: ChangeConnection): Promise<Changed> {
    const stream = connectionStream(connectionId);
    const owners: OwnerStreams = { job: jobOwner(this.store), connection: connectionOwner(this.store) };
    for (let attempt = 1; ; attempt++) {
      const { state: current, revision } = await loadState(this.store, stream, connectionDecider);
      const command = this.secure(asked, current);
      const events = connectionDecider.decide(command, current);
      // Refused before the workspace claim, so an unstorable value leaves nothing behind.
      events.forEach((e) => assertStorable(e.data));
      if (events.length === 0) return { id: connectionId };
      const next = events.reduce(connectionDecider.evolve, current);
      const [before, after] = [connectionHolds(current), connectionHolds(next)];
      const workspaceId = next.status === 'none' ? '' : next.workspaceId;
      const rule = workspaceRule(connectionId, basedOn(revision), before, after);
      const retry = attempt > 1 ? { owner: { kind: 'connection' as const, id: connectionId }, revision: basedOn(revision), holds: before } : undefined;
      if (rule) await claim(this.store, workspaceId, rule, ctx, owners, retry);
      try {
        const { revision: landed, position } = await appendAt(this.store, stream, events, revision, ctx);
        if (rule) await settleAfter(this.store, workspaceId, { kind: 'connection', id: connectionId }, landed, after, ctx);
        return { id: connectionId, position };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        if (attempt >= MAX_ATTEMPTS) throw lostRace(stream);
      }
    }
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
