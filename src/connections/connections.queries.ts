import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { type ConnectionDoc, CONNECTIONS } from './connections.read-model.js';
import { READ_MODEL_PROGRESS, type ReadModelProgress, readDocument } from '../core/read-model-progress.js';
import { type Page, READ_STORE, type ReadStore } from '../core/read-store.js';
import { maskSettings } from '../core/secrets.js';

/** A connection as every answer shows it: secrets masked, even in a read model built before they were sealed. */
const masked = (doc: ConnectionDoc): ConnectionDoc => ({ ...doc, settings: maskSettings(doc.settings) });

export class GetConnection extends Query<ConnectionDoc> {
  constructor(
    readonly connectionId: string,
    readonly after?: string,
  ) {
    super();
  }
}

export class ListConnections extends Query<Page<ConnectionDoc>> {
  constructor(
    readonly workspaceId: string,
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}

@QueryHandler(GetConnection)
export class GetConnectionHandler implements IQueryHandler<GetConnection> {
  constructor(
    @Inject(READ_STORE) private readonly store: ReadStore,
    @Inject(READ_MODEL_PROGRESS) private readonly runner: ReadModelProgress,
  ) {}

  async execute({ connectionId, after }: GetConnection): Promise<ConnectionDoc> {
    return masked(await readDocument<ConnectionDoc>(this.runner, this.store, { collection: CONNECTIONS, id: connectionId, after }, ['CONNECTION.NOT_FOUND', 'Connection']));
  }
}

@QueryHandler(ListConnections)
export class ListConnectionsHandler implements IQueryHandler<ListConnections> {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  async execute({ workspaceId, limit, cursor }: ListConnections): Promise<Page<ConnectionDoc>> {
    const page = await this.store.find<ConnectionDoc>(CONNECTIONS, { filter: { workspaceId }, sort: { field: 'createdAt', order: 1 }, limit, cursor });
    return { ...page, items: page.items.map(masked) };
  }
}
