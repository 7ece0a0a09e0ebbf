import { given } from '../core/given.js';
import { type ConnectionEvent, connectionDecider } from './connection.decider.js';

const created: ConnectionEvent = {
  type: 'ConnectionCreated',
  data: { connectionId: 'c1', workspaceId: 'w', name: 'files', kind: 'csv', settings: { path: '/data/in' } },
};

describe('connection decider', () => {
  it('creates a connection with the setting its kind needs', () => {
    given(connectionDecider).when({ type: 'CreateConnection', data: created.data as never }).then([created]);
  });

  it('rejects a postgres connection without a postgres URL, and an unknown kind', () => {
    given(connectionDecider)
      .when({ type: 'CreateConnection', data: { connectionId: 'c', workspaceId: 'w', name: 'pg', kind: 'postgres', settings: { url: 'mysql://x' } } })
      .thenThrows('CONNECTION.SETTINGS_INVALID', /settings.url/);
    given(connectionDecider)
      .when({ type: 'CreateConnection', data: { connectionId: 'c', workspaceId: 'w', name: 'x', kind: 'oracle' as never, settings: {} } })
      .thenThrows('VALIDATION', /kind/);
  });

  it('updates only what changed and refuses a deleted connection', () => {
    given(connectionDecider, [created])
      .when({ type: 'UpdateConnection', data: { name: 'files', settings: { path: '/data/other' } } })
      .then([{ type: 'ConnectionUpdated', data: { connectionId: 'c1', settings: { path: '/data/other' } } }]);
    given(connectionDecider, [created, { type: 'ConnectionDeleted', data: { connectionId: 'c1', workspaceId: 'w' } }])
      .when({ type: 'DeleteConnection', data: {} })
      .thenThrows('CONNECTION.NOT_FOUND');
  });
});
