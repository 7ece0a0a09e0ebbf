import { Logger } from '@nestjs/common';
import type { Decider } from '../core/decider.js';
import { DomainError } from '../core/errors.js';
import type { DomainEvent, ExpectedRevision } from '../core/events.js';
import { type AppendResult, type EventStore, WrongExpectedRevisionError } from '../core/event-store.js';
import { assertStorable } from '../core/storable.js';
import { type CommandContext, decideAndAppend, inTurn, loadState, keepDecided, toNewEvent, toNewEvents } from '../core/write-path.js';
import {
  basedOn,
  ClaimRefused,
  covers,
  type Holds,
  type Owner,
  type Resource,
  type WorkspaceCommand,
  workspaceDecider,
  workspaceStream,
} from './workspace.decider.js';

/** How the workspace learns what an owner really holds (from the owner's own stream) and fences that stream. */
export interface OwnerStream {
  /** The stream's revision and what it holds there: null when the owner was never created, or is deleted. */
  read(id: string): Promise<{ revision: number | 'no_stream'; holds: Holds | null }>;
  /** The event that moves the stream on without changing it, so a change decided on an older revision cannot land. */
  fence(id: string): { stream: string; event: DomainEvent };
}
export type OwnerStreams = Partial<Record<Owner['kind'], OwnerStream>>;

const logger = new Logger('Workspace');
const MAX_REPAIRS = 3;
const MAX_ATTEMPTS = 5;

/** The owner a claim is for, as read by this attempt: the revision its stream is at and what it holds there. */
export interface ClaimFor {
  owner: Owner;
  revision: number;
  holds: Holds | null;
}

/**
 * Appends a claim (or a retire) to the workspace. When others hold what it wants, each holder whose own stream
 * does not hold it (a change that failed or is still in flight) is fenced and settled, then the claim is tried
 * again; a holder that does hold it is a real conflict.
 * A change retrying because its own stream moved (`retry`) lost a race: it does not repair, which could fence the
 * winner in turn, and when refused it first settles its own claims, so it leaves nothing behind.
 */
export async function claim(
  store: EventStore,
  workspaceId: string,
  command: WorkspaceCommand,
  ctx: CommandContext,
  owners: OwnerStreams,
  retry?: ClaimFor,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await decideAndAppend(store, workspaceStream(workspaceId), workspaceDecider, command, ctx);
      return;
    } catch (error) {
      if (retry && error instanceof ClaimRefused) await settleAfter(store, workspaceId, retry.owner, retry.revision, retry.holds, ctx);
      if (retry || !(error instanceof ClaimRefused) || attempt >= MAX_REPAIRS) throw error;
      let repaired = false;
      for (const holder of error.holders) repaired = (await releaseUnheld(store, workspaceId, holder, error.resource, ctx, owners)) || repaired;
      if (!repaired) throw error;
    }
  }
}

/** Records what an owner holds as of `revision` of its stream, releasing the claims that did not land. */
export async function settle(store: EventStore, workspaceId: string, owner: Owner, revision: number, holds: Holds | null, ctx: CommandContext) {
  const command: WorkspaceCommand =
    owner.kind === 'job'
      ? { type: 'SettleJob', data: { jobId: owner.id, revision, holds } }
      : { type: 'SettleConnection', data: { connectionId: owner.id, revision, holds: holds && { name: holds.name } } };
  await decideAndAppend(store, workspaceStream(workspaceId), workspaceDecider, command, ctx);
}

/**
 * The settle after a change has landed. The change stands whether or not this is written: a claim left
 * unsettled is released when it blocks someone, so a failure here is logged, not answered.
 */
export async function settleAfter(store: EventStore, workspaceId: string, owner: Owner, revision: number, holds: Holds | null, ctx: CommandContext) {
  try {
    await settle(store, workspaceId, owner, revision, holds, ctx);
  } catch (error) {
    logger.warn(`Could not settle the claims of ${owner.kind} ${owner.id} in workspace ${workspaceId} (they are released when they block someone): ${(error as Error).message}`);
  }
}

/** A change to an owner's stream (a job's, a connection's) and how it bears on the owner's workspace. */
export interface ClaimedChange<S, C, E extends DomainEvent> {
  owner: Owner;
  stream: string;
  decider: Decider<S, C, E>;
  /** The command to decide on the state read (e.g. with secrets sealed against the stored ones). */
  command(state: S): C;
  holds(state: S): Holds | null;
  workspaceOf(state: S): string;
  /**
   * What the workspace must record when the owner's holdings change: the claim (or retire) to append before
   * the change, if any, and then the settle after it; undefined when the workspace is not concerned.
   */
  plan(revision: number, before: Holds | null, after: Holds | null): { claim?: WorkspaceCommand } | undefined;
  owners: OwnerStreams;
}

/**
 * Decides a change, claims what it will hold, appends it at exactly the revision it was decided on, and settles
 * after. A failure in between leaves a claim the workspace can release, never an owner holding an unclaimed
 * name. On a revision conflict it reads again and re-decides a few times, then answers 409.
 */
export function changeWithClaims<S, C, E extends DomainEvent>(store: EventStore, change: ClaimedChange<S, C, E>, ctx: CommandContext): Promise<{ position?: string }> {
  return inTurn(store, change.stream, () => changeInTurn(store, change, ctx));
}

async function changeInTurn<S, C, E extends DomainEvent>(store: EventStore, change: ClaimedChange<S, C, E>, ctx: CommandContext): Promise<{ position?: string }> {
  const { owner, stream, decider } = change;
  for (let attempt = 1; ; attempt++) {
    const { state: current, revision, snapshotRevision } = await loadState(store, stream, decider);
    // Decided and checked before anything is written anywhere, so invalid input leaves nothing to undo.
    const events = decider.decide(change.command(current), current);
    events.forEach((e) => assertStorable(e.data));
    if (events.length === 0) return {};
    // What it holds before the events are folded: a job's task index passes on to the state after them (see task-index.ts).
    const before = change.holds(current);
    const next = events.reduce(decider.evolve, current);
    const after = change.holds(next);
    const workspaceId = change.workspaceOf(next);
    const plan = change.plan(basedOn(revision), before, after);
    const retry = attempt > 1 ? { owner, revision: basedOn(revision), holds: before } : undefined;
    if (plan?.claim) await claim(store, workspaceId, plan.claim, ctx, change.owners, retry);
    try {
      const landed = await store.append(stream, toNewEvents(events, ctx, `${stream}:${revision}`), revision);
      // The next command starts from this state rather than folding these events again (a job's tasks are copied on each).
      await keepDecided(store, stream, decider, { state: next, revision: landed.revision, snapshotRevision }, ctx.actor);
      if (plan) await settleAfter(store, workspaceId, owner, landed.revision, after, ctx);
      return { position: landed.position };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      if (attempt >= MAX_ATTEMPTS) throw new DomainError('CONCURRENCY.CONFLICT', `${stream} was changed concurrently; try again`);
    }
  }
}

async function releaseUnheld(store: EventStore, workspaceId: string, holder: Owner, resource: Resource, ctx: CommandContext, owners: OwnerStreams) {
  const owner = owners[holder.kind];
  if (!owner) return false;
  const { revision, holds } = await owner.read(holder.id);
  if (covers(holds, resource)) return false;
  const { stream, event } = owner.fence(holder.id);
  let fenced: AppendResult;
  try {
    fenced = await store.append(stream, [toNewEvent(event, ctx, `${stream}:${revision}:fence`)], revision as ExpectedRevision);
  } catch (error) {
    // The owner's stream moved since it was read: a change landed, so look again.
    if (error instanceof WrongExpectedRevisionError) return true;
    throw error;
  }
  logger.log(`Released what ${holder.kind} ${holder.id} claimed but does not hold in workspace ${workspaceId}`);
  await settle(store, workspaceId, holder, fenced.revision, holds, ctx);
  return true;
}
