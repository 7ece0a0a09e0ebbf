import type { Decider } from '../core/decider.js';
import { DomainError } from '../core/errors.js';
import type { DomainEvent } from '../core/events.js';
import { isSecretValue } from '../core/secrets.js';

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
  /** A new `kind` needs the settings of that kind with it. */
  | { type: 'UpdateConnection'; data: { name?: string; kind?: ConnectionKind; settings?: ConnectionSettings } }
  | { type: 'DeleteConnection'; data: Record<string, never> };

export type ConnectionEvent =
  | DomainEvent<'ConnectionCreated', { connectionId: string; workspaceId: string } & ConnectionDefinition>
  | DomainEvent<'ConnectionUpdated', { connectionId: string; name?: string; kind?: ConnectionKind; settings?: ConnectionSettings }>
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

/** Timeouts every connector honours, in milliseconds; 0 means none. Defaults: 30000, 0 and 300000. */
export const TIMEOUT_SETTINGS = ['connect_timeout_ms', 'statement_timeout_ms', 'read_timeout_ms'] as const;

/** Every setting each kind knows besides the timeouts; any other key is refused. */
const OPTIONAL: Record<ConnectionKind, string[]> = {
  csv: [],
  sqlite: [],
  // Kept out of the URL, the password is sealed on its own and put back into the URL when connecting.
  postgres: ['password'],
};

export const knownSettings = (kind: ConnectionKind) => [REQUIRED[kind].key, ...OPTIONAL[kind], ...TIMEOUT_SETTINGS];

export const connectionDecider: Decider<ConnectionState, ConnectionCommand, ConnectionEvent> = {
  initialState: { status: 'none' },
  decide(command, state) {
    switch (command.type) {
      case 'CreateConnection': {
        // A deleted connection may be made again under its id: only ids derived from names (the config file's) ever are.
        if (state.status === 'active') throw new DomainError('CONNECTION.EXISTS', `Connection ${command.data.connectionId} already exists`);
        validate(command.data, true);
        return [{ type: 'ConnectionCreated', data: command.data }];
      }
      case 'UpdateConnection': {
        if (state.status !== 'active') throw new DomainError('CONNECTION.NOT_FOUND', 'Connection not found');
        const { name, kind, settings } = command.data;
        if (kind !== undefined && kind !== state.kind && !settings) throw new DomainError('VALIDATION', `settings are required to change the kind to ${kind}`, 'settings');
        validate({ ...state, ...(name !== undefined ? { name } : {}), ...(kind !== undefined ? { kind } : {}), ...(settings ? { settings } : {}) }, settings !== undefined);
        const changed = {
          ...(name !== undefined && name !== state.name ? { name } : {}),
          ...(kind !== undefined && kind !== state.kind ? { kind } : {}),
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

/** Checks a definition; `newSettings`: the settings were sent with this command, so unknown keys are refused too. */
function validate({ name, kind, settings }: ConnectionDefinition, newSettings: boolean): void {
  if (typeof name !== 'string' || !name.trim()) throw new DomainError('VALIDATION', 'name is required', 'name');
  if (!CONNECTION_KINDS.includes(kind)) {
    throw new DomainError('VALIDATION', `kind must be one of ${CONNECTION_KINDS.join(', ')}`, 'kind');
  }
  const invalid = (key: string, message: string) => new DomainError('CONNECTION.SETTINGS_INVALID', message, `settings.${key}`);
  if (newSettings) {
    const known = knownSettings(kind);
    for (const [key, value] of Object.entries(settings)) {
      if (!known.includes(key)) throw invalid(key, `settings.${key} is not a setting of a ${kind} connection; known settings: ${known.join(', ')}`);
      if ((TIMEOUT_SETTINGS as readonly string[]).includes(key)) {
        if (!Number.isSafeInteger(value) || (value as number) < 0) throw invalid(key, `settings.${key} must be a whole number of milliseconds, 0 or more`);
      } else if (typeof text(value) !== 'string') {
        throw invalid(key, `settings.${key} must be a string`);
      }
    }
  }
  const { key, check, hint } = REQUIRED[kind];
  const value = text(settings[key]);
  if (typeof value !== 'string' || !check(value)) throw invalid(key, `settings.${key} must be ${hint} for a ${kind} connection`);
}

/** A sealed secret is checked by its masked form, which keeps the shape of the value (a URL stays a URL). */
const text = (value: unknown) => (isSecretValue(value) ? value.masked : value);
