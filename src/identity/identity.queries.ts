import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { READ_MODEL_PROGRESS, type ReadModelProgress, readDocument } from '../core/read-model-progress.js';
import { type Page, READ_STORE, type ReadStore } from '../core/read-store.js';
import { TOKEN_USE, type TokenDoc, TOKENS, type TokenUseDoc, type UserDoc, USERS } from './identity.read-model.js';

export class GetUser extends Query<UserDoc> {
  constructor(
    readonly userId: string,
    readonly after?: string,
  ) {
    super();
  }
}

export class ListUsers extends Query<Page<UserDoc>> {
  constructor(
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}

export class GetToken extends Query<TokenDoc> {
  constructor(
    readonly tokenId: string,
    readonly after?: string,
  ) {
    super();
  }
}

export type TokenWithUse = TokenDoc & { lastUsedAt: string | null };

export class ListTokens extends Query<Page<TokenWithUse>> {
  constructor(
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}

@QueryHandler(GetUser)
export class GetUserHandler implements IQueryHandler<GetUser> {
  constructor(
    @Inject(READ_STORE) private readonly store: ReadStore,
    @Inject(READ_MODEL_PROGRESS) private readonly progress: ReadModelProgress,
  ) {}

  async execute({ userId, after }: GetUser): Promise<UserDoc> {
    return readDocument<UserDoc>(this.progress, this.store, { collection: USERS, id: userId, after }, ['USER.NOT_FOUND', 'User']);
  }
}

@QueryHandler(ListUsers)
export class ListUsersHandler implements IQueryHandler<ListUsers> {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  execute({ limit, cursor }: ListUsers): Promise<Page<UserDoc>> {
    return this.store.find<UserDoc>(USERS, { sort: { field: 'createdAt', order: 1 }, limit, cursor });
  }
}

@QueryHandler(GetToken)
export class GetTokenHandler implements IQueryHandler<GetToken> {
  constructor(
    @Inject(READ_STORE) private readonly store: ReadStore,
    @Inject(READ_MODEL_PROGRESS) private readonly progress: ReadModelProgress,
  ) {}

  async execute({ tokenId, after }: GetToken): Promise<TokenDoc> {
    return readDocument<TokenDoc>(this.progress, this.store, { collection: TOKENS, id: tokenId, after }, ['TOKEN.NOT_FOUND', 'Token']);
  }
}

/** Tokens with when each was last used, from the sign-in log's `token_use` documents (none yet: null). */
@QueryHandler(ListTokens)
export class ListTokensHandler implements IQueryHandler<ListTokens> {
  private useCollection?: Promise<void>;

  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  async execute({ limit, cursor }: ListTokens): Promise<Page<TokenWithUse>> {
    const page = await this.store.find<TokenDoc>(TOKENS, { sort: { field: 'createdAt', order: 1 }, limit, cursor });
    // The sign-in log creates it too; until it has, there is nothing to read.
    await (this.useCollection ??= this.store.ensureCollection(TOKEN_USE, []).catch((error: unknown) => {
      this.useCollection = undefined;
      throw error;
    }));
    const ids = page.items.map((t) => t.id);
    const uses = ids.length ? (await this.store.find<TokenUseDoc>(TOKEN_USE, { filter: { id: { $in: ids } }, limit: ids.length })).items : [];
    const lastUsed = new Map(uses.map((u) => [u.id, u.lastUsedAt]));
    return { ...page, items: page.items.map((t) => ({ ...t, lastUsedAt: lastUsed.get(t.id) ?? null })) };
  }
}
