import { Logger } from '@nestjs/common';
import { DomainError } from '../core/errors.js';
import type { DomainEvent, ExpectedRevision } from '../core/events.js';
import { type EventStore, WrongExpectedRevisionError } from '../core/event-store.js';
import { type CommandContext, toNewEvent } from '../core/write-path.js';

/** A name kept unique by a stream of its own (`login-<login>`, `token-name-<name>`) whose last event names its owner. */
export interface UniqueName {
  stream: string;
  /** The event that claims the name for `ownerId`. */
  claim(ownerId: string): DomainEvent;
  ownerOf(event: DomainEvent): string;
  ownerStream(ownerId: string): string;
  /** Appended at no_stream to the stream of an owner that was never written, so its slow create fails. */
  abandon(ownerId: string): DomainEvent;
  taken(): DomainError;
}

const MAX_ATTEMPTS = 5;
const logger = new Logger('Identity');

/**
 * Claims the name for `ownerId`. A claim whose owner's stream was never written (a crash between the two
 * appends) does not block the name forever: that stream is fenced at no_stream, then the name is claimed
 * again at the revision read. A claim by an owner that exists is a real conflict.
 */
export async function claimName(store: EventStore, name: UniqueName, ownerId: string, ctx: CommandContext): Promise<void> {
  let expected: ExpectedRevision = 'no_stream';
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    try {
      await store.append(name.stream, [toNewEvent(name.claim(ownerId), ctx, `${name.stream}:${expected}`)], expected);
      return;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
    }
    const last = await store.readLast(name.stream);
    if (!last) continue;
    const holder = name.ownerOf(last);
    if (holder === ownerId) return;
    if ((await ownerState(store, name, holder, ctx)) === 'exists') throw name.taken();
    expected = last.revision;
  }
  throw new DomainError('CONCURRENCY.CONFLICT', `${name.stream} was changed concurrently ${MAX_ATTEMPTS} times; try again`);
}

/** The owner holding the name now, if its stream was written; undefined when the name is free or its claim is abandoned. */
export async function currentOwner(store: EventStore, name: Pick<UniqueName, 'stream' | 'ownerOf'>): Promise<string | undefined> {
  const last = await store.readLast(name.stream);
  return last ? name.ownerOf(last) : undefined;
}

/** Whether the holder's stream holds it; a never-written one is fenced first, so it stays abandoned. */
async function ownerState(store: EventStore, name: UniqueName, holder: string, ctx: CommandContext): Promise<'exists' | 'abandoned'> {
  const stream = name.ownerStream(holder);
  const abandoned = name.abandon(holder);
  const [first] = await store.readStream(stream, { maxCount: 1 });
  if (first) return first.type === abandoned.type ? 'abandoned' : 'exists';
  try {
    await store.append(stream, [toNewEvent(abandoned, ctx, `${stream}:abandon`)], 'no_stream');
  } catch (error) {
    // The original create landed after all (or another repair fenced it): look again.
    if (error instanceof WrongExpectedRevisionError) return ownerState(store, name, holder, ctx);
    throw error;
  }
  logger.log(`${name.stream} was claimed by ${stream}, which was never written: fenced it and claimed the name again`);
  return 'abandoned';
}
