import { Logger } from '@nestjs/common';
import { DomainError } from '../core/errors.js';
import type { DomainEvent, ExpectedRevision } from '../core/events.js';
import { type AppendResult, type EventStore, WrongExpectedRevisionError } from '../core/event-store.js';
import { type CommandContext, decideAndAppend, toNewEvent } from '../core/write-path.js';
import {
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

/** Appends a decided change at exactly the revision it was decided on: no retry, since its claim was based on that revision. */
export async function appendAt(store: EventStore, stream: string, events: DomainEvent[], revision: number | 'no_stream', ctx: CommandContext): Promise<AppendResult> {
  return store.append(stream, events.map((e, i) => toNewEvent(e, ctx, `${stream}:${revision}:${i}`)), revision);
}

/** The conflict a change that lost a race answers, after its retries. */
export const lostRace = (stream: string) => new DomainError('CONCURRENCY.CONFLICT', `${stream} was changed concurrently; try again`);

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
