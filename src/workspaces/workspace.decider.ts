import type { Decider } from '../core/decider.js';
import { DomainError, type ErrorCode } from '../core/errors.js';
import type { DomainEvent } from '../core/events.js';

/**
 * Rules that span many streams live here, one stream per workspace: job and connection names are unique
 * in a workspace, jobs reference only its connections, and a connection a job uses cannot be deleted.
 *
 * A change claims what it will hold before it writes its own stream, and settles (releases what it no longer
 * holds) after. A claim records the owner's revision it was decided on: once the owner's stream is past that
 * revision the claim is dead, since its write either landed (and the settle says what it holds) or can
 * never land. So a failure between the two appends leaves only extra claims, never missing ones, and
 * workspace-claims.ts releases an extra claim when it blocks someone (after fencing the owner's stream).
 */
export type Owner = { kind: 'job' | 'connection'; id: string };
/** What an owner holds: a job its name and the connections it uses, a connection its name. */
export interface Holds {
  name: string;
  connectionIds: string[];
}
/** What a blocked claim wanted: a name, or the use of a connection. */
export type Resource = { name: string } | { connectionId: string };

export type WorkspaceCommand =
  | { type: 'ClaimJob'; data: { jobId: string; basedOn: number } & Holds }
  | { type: 'SettleJob'; data: { jobId: string; revision: number; holds: Holds | null } }
  | { type: 'ClaimConnection'; data: { connectionId: string; basedOn: number; name: string } }
  /** No job may start using it: the first step of a delete, and final (a failed delete is finished by deleting again). */
  | { type: 'RetireConnection'; data: { connectionId: string } }
  | { type: 'SettleConnection'; data: { connectionId: string; revision: number; holds: Pick<Holds, 'name'> | null } };

export type WorkspaceEvent =
  | DomainEvent<'JobClaimed', { jobId: string; basedOn: number } & Holds>
  | DomainEvent<'JobClaimsSettled', { jobId: string; revision: number; holds: Holds | null }>
  | DomainEvent<'ConnectionClaimed', { connectionId: string; basedOn: number; name: string }>
  | DomainEvent<'ConnectionRetired', { connectionId: string }>
  | DomainEvent<'ConnectionClaimsSettled', { connectionId: string; revision: number; holds: Pick<Holds, 'name'> | null }>
  // Written before claims existed (taken before the owner's stream, never settled); still folded.
  | DomainEvent<'ConnectionRegistered', { connectionId: string; name: string }>
  | DomainEvent<'ConnectionRenamed', { connectionId: string; name: string }>
  | DomainEvent<'ConnectionUnregistered', { connectionId: string }>
  | DomainEvent<'JobRegistered', { jobId: string; name: string; connectionIds: string[] }>
  | DomainEvent<'JobRegistrationChanged', { jobId: string; name: string; connectionIds: string[] }>
  | DomainEvent<'JobUnregistered', { jobId: string }>;

/** Settled holds (as of the owner's `revision`) plus the live claims of changes that may still land. */
export interface Entry {
  revision: number;
  settled: Holds | null;
  claims: Array<Holds & { basedOn: number }>;
  retired?: boolean;
}

export interface WorkspaceState {
  connections: Record<string, Entry>;
  jobs: Record<string, Entry>;
}

export const workspaceStream = (workspaceId: string) => `workspace-${workspaceId}`;
/** The revision a claim is based on: -1 for a stream that does not exist yet. */
export const basedOn = (revision: number | 'no_stream') => (revision === 'no_stream' ? -1 : revision);

/** A claim refused because others hold what it wants; the holders may be orphans worth repairing. */
export class ClaimRefused extends DomainError {
  constructor(
    code: ErrorCode,
    message: string,
    field: string | undefined,
    readonly resource: Resource,
    readonly holders: Owner[],
  ) {
    super(code, message, field);
  }
}

export const workspaceDecider: Decider<WorkspaceState, WorkspaceCommand, WorkspaceEvent> = {
  initialState: { connections: {}, jobs: {} },
  // Every job and connection change adds a claim and a settle here.
  snapshot: { every: 200, version: 2 },
  decide(command, state) {
    switch (command.type) {
      case 'ClaimJob': {
        const { jobId, name, connectionIds } = command.data;
        const holders = nameHolders(state.jobs, jobId, name);
        if (holders.length) {
          const message = `A job named "${name}" already exists in this workspace`;
          throw new ClaimRefused('JOB.NAME_TAKEN', message, 'name', { name }, holders.map((id) => ({ kind: 'job', id })));
        }
        for (const id of connectionIds) {
          const entry = state.connections[id];
          if (!entry) throw new DomainError('CONNECTION.NOT_IN_WORKSPACE', `Connection ${id} does not exist in this workspace`, 'connection_id');
          if (entry.retired) throw new DomainError('CONNECTION.DELETING', `Connection ${id} is being deleted; delete it again to finish, or choose another`, 'connection_id');
        }
        return [{ type: 'JobClaimed', data: command.data }];
      }
      case 'ClaimConnection': {
        const { connectionId, name } = command.data;
        const holders = nameHolders(state.connections, connectionId, name);
        if (holders.length) {
          const message = `A connection named "${name}" already exists in this workspace`;
          throw new ClaimRefused('CONNECTION.NAME_TAKEN', message, 'name', { name }, holders.map((id) => ({ kind: 'connection', id })));
        }
        return [{ type: 'ConnectionClaimed', data: command.data }];
      }
      case 'RetireConnection': {
        const { connectionId } = command.data;
        const entry = state.connections[connectionId];
        if (!entry || entry.retired) return [];
        const users = Object.keys(state.jobs).filter((id) => holds(state.jobs[id]).connectionIds.includes(connectionId));
        if (users.length) {
          const names = users.map((id) => `"${holds(state.jobs[id]).names.join('" / "')}"`).join(', ');
          const message = `Connection ${connectionId} is used by job(s) ${names}; change or delete them first`;
          throw new ClaimRefused('CONNECTION.IN_USE', message, undefined, { connectionId }, users.map((id) => ({ kind: 'job', id })));
        }
        return [{ type: 'ConnectionRetired', data: command.data }];
      }
      case 'SettleJob':
        return settles(state.jobs[command.data.jobId], command.data) ? [{ type: 'JobClaimsSettled', data: command.data }] : [];
      case 'SettleConnection': {
        const { connectionId, revision, holds: kept } = command.data;
        const data = { connectionId, revision, holds: kept && { name: kept.name } };
        return settles(state.connections[connectionId], { revision, holds: asHolds(kept) }) ? [{ type: 'ConnectionClaimsSettled', data }] : [];
      }
      default: {
        const _exhaustive: never = command;
        return _exhaustive;
      }
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'JobClaimed': {
        const { jobId, ...claim } = event.data;
        return { ...state, jobs: { ...state.jobs, [jobId]: withClaim(state.jobs[jobId], claim) } };
      }
      case 'JobClaimsSettled':
        return { ...state, jobs: put(state.jobs, event.data.jobId, settle(state.jobs[event.data.jobId], event.data)) };
      case 'ConnectionClaimed': {
        const { connectionId, basedOn: b, name } = event.data;
        return { ...state, connections: { ...state.connections, [connectionId]: withClaim(state.connections[connectionId], { basedOn: b, name, connectionIds: [] }) } };
      }
      case 'ConnectionRetired': {
        const entry = state.connections[event.data.connectionId];
        return entry ? { ...state, connections: { ...state.connections, [event.data.connectionId]: { ...entry, retired: true } } } : state;
      }
      case 'ConnectionClaimsSettled': {
        const { connectionId, revision, holds: kept } = event.data;
        const settled = settle(state.connections[connectionId], { revision, holds: asHolds(kept) });
        return { ...state, connections: put(state.connections, connectionId, settled) };
      }
      case 'ConnectionRegistered':
      case 'ConnectionRenamed': {
        const { connectionId, name } = event.data;
        return { ...state, connections: { ...state.connections, [connectionId]: legacy({ name, connectionIds: [] }) } };
      }
      case 'ConnectionUnregistered':
        return { ...state, connections: put(state.connections, event.data.connectionId, undefined) };
      case 'JobRegistered':
      case 'JobRegistrationChanged': {
        const { jobId, name, connectionIds } = event.data;
        return { ...state, jobs: { ...state.jobs, [jobId]: legacy({ name, connectionIds }) } };
      }
      case 'JobUnregistered':
        return { ...state, jobs: put(state.jobs, event.data.jobId, undefined) };
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  },
};

/** Everything an entry holds: its settled holds and every live claim. */
export function holds(entry: Entry | undefined): { names: string[]; connectionIds: string[] } {
  const all = [...(entry?.settled ? [entry.settled] : []), ...(entry?.claims ?? [])];
  return { names: [...new Set(all.map((h) => h.name))], connectionIds: [...new Set(all.flatMap((h) => h.connectionIds))] };
}

/** Whether `held` (an owner's real holds) covers the resource a claim wanted. */
export function covers(held: Holds | null, resource: Resource): boolean {
  if (!held) return false;
  return 'name' in resource ? sameName(held.name, resource.name) : held.connectionIds.includes(resource.connectionId);
}

function nameHolders(entries: Record<string, Entry>, self: string, name: string): string[] {
  return Object.keys(entries).filter((id) => id !== self && holds(entries[id]).names.some((n) => sameName(n, name)));
}

function withClaim(entry: Entry | undefined, claim: Holds & { basedOn: number }): Entry {
  const current = entry ?? { revision: -1, settled: null, claims: [] };
  return { ...current, claims: [...current.claims, claim] };
}

/** A settle as of an older revision than the one recorded says nothing new (two settles can arrive out of order). */
function settles(entry: Entry | undefined, { revision, holds: kept }: { revision: number; holds: Holds | null }): boolean {
  if (!entry) return kept !== null;
  if (revision < entry.revision) return false;
  const next = settle(entry, { revision, holds: kept });
  return JSON.stringify(next) !== JSON.stringify(entry);
}

/** Holds as of `revision`: claims decided on an older revision are dead, later ones may still land. */
function settle(entry: Entry | undefined, { revision, holds: kept }: { revision: number; holds: Holds | null }): Entry | undefined {
  if (entry && revision < entry.revision) return entry;
  const claims = (entry?.claims ?? []).filter((c) => c.basedOn >= revision);
  if (!kept && !claims.length) return undefined;
  return { revision, settled: kept, claims, ...(entry?.retired ? { retired: true } : {}) };
}

/** Events written before claims existed were taken before the owner's stream: as if settled before it. */
function legacy(settled: Holds): Entry {
  return { revision: -1, settled, claims: [] };
}

const asHolds = (kept: Pick<Holds, 'name'> | null): Holds | null => kept && { name: kept.name, connectionIds: [] };

function put(entries: Record<string, Entry>, id: string, entry: Entry | undefined): Record<string, Entry> {
  const { [id]: _gone, ...rest } = entries;
  return entry ? { ...rest, [id]: entry } : rest;
}

/** Names compare case-insensitively, as users read them. */
export function sameName(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
