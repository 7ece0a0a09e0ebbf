import type { RecordedEvent } from '../src/core/events.js';
import type { ConnectionEvent } from '../src/connections/connection.decider.js';
import { type ConnectionDoc, CONNECTIONS } from '../src/connections/connections.read-model.js';
import type { Projection, ProjectionTx } from './projection.js';


export const connectionsProjection: Projection = {
  name: 'connections',
  collections: { [CONNECTIONS]: [{ fields: ['workspaceId', 'createdAt'] }] },
  async apply(recorded: RecordedEvent, tx: ProjectionTx) {
    if (!recorded.stream.startsWith('connection-')) return;
    const event = recorded as unknown as ConnectionEvent & RecordedEvent;
    const at = recorded.metadata.occurredAt;
    switch (event.type) {
      case 'ConnectionCreated': {
        const { connectionId, ...definition } = event.data;
        return tx.put(CONNECTIONS, { id: connectionId, ...definition, createdAt: at, updatedAt: at, version: recorded.revision });
      }
      case 'ConnectionUpdated': {
        const { connectionId, ...changed } = event.data;
        return tx.update<ConnectionDoc>(CONNECTIONS, connectionId, (doc) => ({ ...doc, ...changed, updatedAt: at, version: recorded.revision }));
      }
      case 'ConnectionDeleted':
        return tx.delete(CONNECTIONS, event.data.connectionId);
    }
  },
};
