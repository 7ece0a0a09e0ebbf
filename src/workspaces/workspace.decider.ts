import type { Decider } from '../core/decider.js';
import { DomainError } from '../core/errors.js';
import type { DomainEvent } from '../core/events.js';

/**
 * Rules that span many streams live here, one stream per workspace: job and connection names are unique
 * in a workspace, jobs reference only its connections, and a connection a job uses cannot be deleted.
 * Job and connection commands append here (at the revision read) before their own stream.
 */
export type WorkspaceCommand =
  | { type: 'RegisterConnection'; data: { connectionId: string; name: string } }
  | { type: 'RenameConnection'; data: { connectionId: string; name: string } }
  | { type: 'UnregisterConnection'; data: { connectionId: string } }
  | { type: 'RegisterJob'; data: { jobId: string; name: string; connectionIds: string[] } }
  | { type: 'ChangeJobRegistration'; data: { jobId: string; name: string; connectionIds: string[] } }
  | { type: 'UnregisterJob'; data: { jobId: string } };

export type WorkspaceEvent =
  | DomainEvent<'ConnectionRegistered', { connectionId: string; name: string }>
  | DomainEvent<'ConnectionRenamed', { connectionId: string; name: string }>
  | DomainEvent<'ConnectionUnregistered', { connectionId: string }>
  | DomainEvent<'JobRegistered', { jobId: string; name: string; connectionIds: string[] }>
  | DomainEvent<'JobRegistrationChanged', { jobId: string; name: string; connectionIds: string[] }>
  | DomainEvent<'JobUnregistered', { jobId: string }>;

export interface WorkspaceState {
  connections: Record<string, string>;
  jobs: Record<string, { name: string; connectionIds: string[] }>;
}

export const workspaceStream = (workspaceId: string) => `workspace-${workspaceId}`;

export const workspaceDecider: Decider<WorkspaceState, WorkspaceCommand, WorkspaceEvent> = {
  initialState: { connections: {}, jobs: {} },
  decide(command, state) {
    switch (command.type) {
      case 'RegisterConnection':
      case 'RenameConnection': {
        const { connectionId, name } = command.data;
        const taken = Object.entries(state.connections).find(([id, n]) => id !== connectionId && sameName(n, name));
        if (taken) throw new DomainError('CONNECTION.NAME_TAKEN', `A connection named "${name}" already exists in this workspace`, 'name');
        if (command.type === 'RegisterConnection') return [{ type: 'ConnectionRegistered', data: command.data }];
        return state.connections[connectionId] === name ? [] : [{ type: 'ConnectionRenamed', data: command.data }];
      }
      case 'UnregisterConnection': {
        const { connectionId } = command.data;
        const users = Object.entries(state.jobs).filter(([, j]) => j.connectionIds.includes(connectionId));
        if (users.length) {
          const names = users.map(([, j]) => `"${j.name}"`).join(', ');
          throw new DomainError('CONNECTION.IN_USE', `Connection ${connectionId} is used by job(s) ${names}; change or delete them first`);
        }
        return state.connections[connectionId] === undefined ? [] : [{ type: 'ConnectionUnregistered', data: command.data }];
      }
      case 'RegisterJob':
      case 'ChangeJobRegistration': {
        const { jobId, name, connectionIds } = command.data;
        const taken = Object.entries(state.jobs).find(([id, j]) => id !== jobId && sameName(j.name, name));
        if (taken) throw new DomainError('JOB.NAME_TAKEN', `A job named "${name}" already exists in this workspace`, 'name');
        const missing = connectionIds.find((id) => state.connections[id] === undefined);
        if (missing) {
          throw new DomainError('CONNECTION.NOT_IN_WORKSPACE', `Connection ${missing} does not exist in this workspace`, 'connection_id');
        }
        if (command.type === 'RegisterJob') return [{ type: 'JobRegistered', data: command.data }];
        const current = state.jobs[jobId];
        const same = current && current.name === name && current.connectionIds.join() === connectionIds.join();
        return same ? [] : [{ type: 'JobRegistrationChanged', data: command.data }];
      }
      case 'UnregisterJob':
        return state.jobs[command.data.jobId] ? [{ type: 'JobUnregistered', data: command.data }] : [];
      default: {
        const _exhaustive: never = command;
        return _exhaustive;
      }
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'ConnectionRegistered':
      case 'ConnectionRenamed':
        return { ...state, connections: { ...state.connections, [event.data.connectionId]: event.data.name } };
      case 'ConnectionUnregistered': {
        const { [event.data.connectionId]: _gone, ...connections } = state.connections;
        return { ...state, connections };
      }
      case 'JobRegistered':
      case 'JobRegistrationChanged': {
        const { jobId, name, connectionIds } = event.data;
        return { ...state, jobs: { ...state.jobs, [jobId]: { name, connectionIds } } };
      }
      case 'JobUnregistered': {
        const { [event.data.jobId]: _gone, ...jobs } = state.jobs;
        return { ...state, jobs };
      }
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  },
};

/** Names compare case-insensitively, as users read them. */
function sameName(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
