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

  it('refuses a missing or null name on its own, whatever the dialect let through', () => {
    given(connectionDecider)
      .when({ type: 'CreateConnection', data: { connectionId: 'c', workspaceId: 'w', name: null as never, kind: 'csv', settings: { path: '/data/in' } } })
      .thenThrows('VALIDATION', /name/);
  });

  it('updates only what changed and refuses a deleted connection', () => {
    given(connectionDecider, [created])
      .when({ type: 'UpdateConnection', data: { name: 'files', settings: { path: '/data/other' } } })
      .then([{ type: 'ConnectionUpdated', data: { connectionId: 'c1', settings: { path: '/data/other' } } }]);
    given(connectionDecider, [created, { type: 'ConnectionDeleted', data: { connectionId: 'c1', workspaceId: 'w' } }])
      .when({ type: 'DeleteConnection', data: {} })
      .thenThrows('CONNECTION.NOT_FOUND');
  });

  it('refuses a settings key its kind does not know, naming it, and timeouts that are not whole milliseconds', () => {
    const create = (kind: 'csv' | 'sqlite' | 'postgres', settings: Record<string, unknown>) =>
      given(connectionDecider).when({ type: 'CreateConnection', data: { connectionId: 'c', workspaceId: 'w', name: 'n', kind, settings } });
    create('csv', { path: '/in', delimiter: ';' }).thenThrows('CONNECTION.SETTINGS_INVALID', /settings.delimiter is not a setting of a csv connection/);
    create('sqlite', { path: '/a.db', url: 'postgresql://x/y' }).thenThrows('CONNECTION.SETTINGS_INVALID', /settings.url/);
    create('postgres', { url: 'postgresql://x/y', ['__proto__']: 1 }).thenThrows('CONNECTION.SETTINGS_INVALID', /settings.__proto__/);
    create('postgres', { url: 'postgresql://x/y', read_timeout_ms: -1 }).thenThrows('CONNECTION.SETTINGS_INVALID', /settings.read_timeout_ms/);
    create('csv', { path: '/in', connect_timeout_ms: 1.5 }).thenThrows('CONNECTION.SETTINGS_INVALID', /settings.connect_timeout_ms/);
    create('csv', { path: '/in', statement_timeout_ms: '10' }).thenThrows('CONNECTION.SETTINGS_INVALID', /settings.statement_timeout_ms/);
    const settings = { url: 'postgresql://x/y', password: 'p', connect_timeout_ms: 100, statement_timeout_ms: 0, read_timeout_ms: 300000 };
    create('postgres', settings).then([{ type: 'ConnectionCreated', data: { connectionId: 'c', workspaceId: 'w', name: 'n', kind: 'postgres', settings } }]);
    given(connectionDecider, [created])
      .when({ type: 'UpdateConnection', data: { settings: { path: '/in', sheet: 'x' } } })
      .thenThrows('CONNECTION.SETTINGS_INVALID', /settings.sheet/);
  });

  it('checks a sealed URL by its masked form', () => {
    const url = { sealed: 'aes-256-gcm:k:a:b:c', masked: 'postgresql://bob:****@db/x' };
    given(connectionDecider)
      .when({ type: 'CreateConnection', data: { connectionId: 'c', workspaceId: 'w', name: 'n', kind: 'postgres', settings: { url } } })
      .then([{ type: 'ConnectionCreated', data: { connectionId: 'c', workspaceId: 'w', name: 'n', kind: 'postgres', settings: { url } } }]);
  });
});
