import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DomainError } from '../core/errors.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { type CommandContext, decideAndAppend, toNewEvent } from '../core/write-path.js';
import { newToken, sha256Hex } from './hashing.js';
import type { Role } from './roles.js';
import { type TokenCommand, tokenDecider, tokenHashStream, tokenNameStream, tokenStream } from './token.decider.js';
import { claimName, type UniqueName } from './unique-claims.js';

export interface TokenChanged {
  id: string;
  position?: string;
}

export class CreateToken extends Command<TokenChanged & { token: string }> {
  constructor(
    readonly tokenId: string,
    readonly token: { name: string; roles: Role[]; expiresAt?: string; scope?: string },
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

export class RevokeToken extends Command<TokenChanged> {
  constructor(
    readonly tokenId: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

const uniqueTokenName = (name: string): UniqueName => ({
  stream: tokenNameStream(name),
  claim: (tokenId) => ({ type: 'TokenNameClaimed', data: { name, tokenId } }),
  ownerOf: (event) => (event.data as { tokenId: string }).tokenId,
  ownerStream: tokenStream,
  abandon: (tokenId) => ({ type: 'TokenAbandoned', data: { tokenId } }),
  taken: () => new DomainError('TOKEN.NAME_TAKEN', `The token name ${name} is taken (names of revoked tokens stay taken)`, 'name'),
});

/**
 * Checked, the name claimed, the hash indexed, then the token's stream written: a token is usable exactly
 * when its stream was written, since the index of one that never was leads to an empty stream.
 */
@CommandHandler(CreateToken)
export class CreateTokenHandler implements ICommandHandler<CreateToken> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ tokenId, token: asked, ctx }: CreateToken): Promise<TokenChanged & { token: string }> {
    const token = newToken();
    const tokenHash = sha256Hex(token);
    const command: TokenCommand = { type: 'CreateToken', data: { tokenId, ...asked, tokenHash, at: ctx.clock().toISOString() } };
    tokenDecider.decide(command, tokenDecider.initialState);
    await claimName(this.store, uniqueTokenName(asked.name), tokenId, ctx);
    const index = tokenHashStream(tokenHash);
    await this.store.append(index, [toNewEvent({ type: 'TokenHashIndexed', data: { tokenId } }, ctx, index)], 'no_stream');
    const { position } = await decideAndAppend(this.store, tokenStream(tokenId), tokenDecider, command, ctx);
    return { id: tokenId, position, token };
  }
}

@CommandHandler(RevokeToken)
export class RevokeTokenHandler implements ICommandHandler<RevokeToken> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ tokenId, ctx }: RevokeToken): Promise<TokenChanged> {
    const { position } = await decideAndAppend(this.store, tokenStream(tokenId), tokenDecider, { type: 'RevokeToken', data: {} }, ctx);
    return { id: tokenId, position };
  }
}
