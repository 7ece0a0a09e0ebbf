import type { Decider } from '../core/decider.js';
import { DomainError } from '../core/errors.js';
import type { DomainEvent } from '../core/events.js';

export const CONNECTION_KINDS = ['csv', 'sqlite', 'postgres'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

/** Where the store is: a directory (csv), a file (sqlite) or a URL (postgres), plus free-form options. */
export type ConnectionSettings = Record<string, unknown>;

export interface ConnectionDefinition {
  name: string;
  kind: ConnectionKind;
  settings: ConnectionSettings;
}

export type ConnectionCommand =
  | { type: 'CreateConnection'; data: { connectionId: string; workspaceId: string } & ConnectionDefinition }
  | { type: 'UpdateConnection'; data: { name?: string; settings?: ConnectionSettings } }
  | { type: 'DeleteConnection'; data: Record<string, never> };

export type ConnectionEvent =
  | DomainEvent<'ConnectionCreated', { connectionId: string; workspaceId: string } & ConnectionDefinition>
  | DomainEvent<'ConnectionUpdated', { connectionId: string; name?: string; settings?: ConnectionSettings }>
  | DomainEvent<'ConnectionDeleted', { connectionId: string; workspaceId: string }>
  /** The workspace released a name claimed for a change that never landed here; no change decided before it can land. */
  | DomainEvent<'ConnectionClaimsReleased', { connectionId: string }>;

export type ConnectionState =
  | { status: 'none' }
  | ({ status: 'active' | 'deleted'; connectionId: string; workspaceId: string } & ConnectionDefinition);

export const connectionStream = (connectionId: string) => `connection-${connectionId}`;

/** The setting each kind cannot do without, and how to check it. */
const REQUIRED: Record<ConnectionKind, { key: string; check: (v: string) => boolean; hint: string }> = {
  csv: { key: 'path', check: (v) => v.length > 0, hint: 'a directory of .csv files' },
  sqlite: { key: 'path', check: (v) => v.length > 0, hint: 'a SQLite database file' },
  postgres: { key: 'url', check: (v) => /^postgres(ql)?:\/\//.test(v), hint: 'a postgres:// or postgresql:// URL' },
};

export const connectionDecider: Decider<ConnectionState, ConnectionCommand, ConnectionEvent> = {
  initialState: { status: 'none' },
  decide(command, state) {
    switch (command.type) {
      case 'CreateConnection': {
        if (state.status !== 'none') throw new DomainError('CONNECTION.EXISTS', `Connection ${command.data.connectionId} already exists`);
        validate(command.data);
        return [{ type: 'ConnectionCreated', data: command.data }];
      }
      case 'UpdateConnection': {
        if (state.status !== 'active') throw new DomainError('CONNECTION.NOT_FOUND', 'Connection not found');
        const { name, settings } = command.data;
        validate({ ...state, ...(name !== undefined ? { name } : {}), ...(settings ? { settings } : {}) });
        const changed = {
          ...(name !== undefined && name !== state.name ? { name } : {}),
          ...(settings && JSON.stringify(settings) !== JSON.stringify(state.settings) ? { settings } : {}),
        };
        return Object.keys(changed).length ? [{ type: 'ConnectionUpdated', data: { connectionId: state.connectionId, ...changed } }] : [];
      }
      case 'DeleteConnection':
        if (state.status !== 'active') throw new DomainError('CONNECTION.NOT_FOUND', 'Connection not found');
        return [{ type: 'ConnectionDeleted', data: { connectionId: state.connectionId, workspaceId: state.workspaceId } }];
      default: {
        const _exhaustive: never = command;
        return _exhaustive;
      }
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'ConnectionCreated': {
        const { connectionId, workspaceId, name, kind, settings } = event.data;
        return { status: 'active', connectionId, workspaceId, name, kind, settings };
      }
      case 'ConnectionUpdated': {
        if (state.status === 'none') return state;
        const { connectionId: _id, ...changed } = event.data;
        return { ...state, ...changed };
      }
      case 'ConnectionDeleted':
        return state.status === 'none' ? state : { ...state, status: 'deleted' };
      case 'ConnectionClaimsReleased':
        return state;
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  },
};

function validate({ name, kind, settings }: ConnectionDefinition): void {
  if (!name.trim()) throw new DomainError('VALIDATION', 'name is required', 'name');
  if (!CONNECTION_KINDS.includes(kind)) {
    throw new DomainError('VALIDATION', `kind must be one of ${CONNECTION_KINDS.join(', ')}`, 'kind');
  }
  const { key, check, hint } = REQUIRED[kind];
  const value = settings[key];
  if (typeof value !== 'string' || !check(value)) {
    throw new DomainError('CONNECTION.SETTINGS_INVALID', `settings.${key} must be ${hint} for a ${kind} connection`, `settings.${key}`);
  }
}
