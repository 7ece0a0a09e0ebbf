import { randomBytes } from 'node:crypto';
import { keyring, maskSettings, revealSettings } from '../core/secrets.js';
import { connectionDecider, type ConnectionEvent, type ConnectionState } from './connection.decider.js';
import { CONNECTION_UPCASTERS } from './connection.upcasters.js';

const metadata = { actor: 'admin', correlationId: 'c', occurredAt: '2026-01-01T00:00:00.000Z', schemaVersion: 1 };
const up = (event: ConnectionEvent): ConnectionEvent => {
  const upcaster = CONNECTION_UPCASTERS.find((u) => u.type === event.type && u.fromVersion === 1)!;
  return { type: event.type, data: upcaster.up({ data: event.data, metadata }).data } as ConnectionEvent;
};

describe('connection upcasters: settings written in plain text (schema version 1)', () => {
  const v1: ConnectionEvent[] = [
    { type: 'ConnectionCreated', data: { connectionId: 'c', workspaceId: 'w', name: 'pg', kind: 'postgres', settings: { url: 'postgresql://bob:old-pw@db/x' } } },
    { type: 'ConnectionUpdated', data: { connectionId: 'c', settings: { url: 'postgresql://bob:new-pw@db/x', password: 'p2', connect_timeout_ms: 5 } } },
  ];

  it('mark plain secrets so connectors still open them and answers mask them', () => {
    const state = v1.map(up).reduce(connectionDecider.evolve, connectionDecider.initialState as ConnectionState) as Exclude<ConnectionState, { status: 'none' }>;
    expect(state.settings).toEqual({
      url: { plain: 'postgresql://bob:new-pw@db/x', masked: 'postgresql://bob:****@db/x' },
      password: { plain: 'p2', masked: '****' },
      connect_timeout_ms: 5,
    });
    expect(revealSettings(keyring(randomBytes(32)), state.settings)).toEqual({ url: 'postgresql://bob:new-pw@db/x', password: 'p2', connect_timeout_ms: 5 });
    expect(maskSettings(state.settings)).toEqual({ url: 'postgresql://bob:****@db/x', password: '****', connect_timeout_ms: 5 });
  });

  it('are pure and leave events without secrets, or already sealed, as they are', () => {
    const created = v1[0];
    const before = JSON.stringify(created);
    up(created);
    expect(JSON.stringify(created)).toBe(before);
    const csv: ConnectionEvent = { type: 'ConnectionCreated', data: { connectionId: 'c', workspaceId: 'w', name: 'f', kind: 'csv', settings: { path: '/in' } } };
    expect(up(csv)).toEqual(csv);
    const sealed: ConnectionEvent = { type: 'ConnectionUpdated', data: { connectionId: 'c', settings: { url: { sealed: 'aes-256-gcm:k:a:b:c', masked: 'postgresql://bob:****@db/x' } } } };
    expect(up(sealed)).toEqual(sealed);
    const renamed: ConnectionEvent = { type: 'ConnectionUpdated', data: { connectionId: 'c', name: 'other' } };
    expect(up(renamed)).toEqual(renamed);
  });
});
