import { given } from '../core/given.js';
import { type TokenEvent, tokenDecider, tokenRefusal } from './token.decider.js';

const NOW = '2026-11-25T08:00:00.000Z';
const definition = { tokenId: 't1', name: 'loader', roles: ['Operator' as const], tokenHash: 'a'.repeat(64) };
const created: TokenEvent = { type: 'TokenCreated', data: definition };
const revoked: TokenEvent = { type: 'TokenRevoked', data: { tokenId: 't1' } };
const create = (data: Record<string, unknown>) => given(tokenDecider).when({ type: 'CreateToken', data: { ...definition, at: NOW, ...data } as never });

describe('token decider', () => {
  it('creates a token with its hash, roles, an expiry in the future and a scope', () => {
    create({}).then([created]);
    create({ expiresAt: '2026-11-25T09:30:00+01:00', scope: 'job:0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21' }).then([
      { type: 'TokenCreated', data: { ...definition, expiresAt: '2026-11-25T08:30:00.000Z', scope: 'job:0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21' } },
    ]);
  });

  it('refuses an expiry not after the time asked, a malformed scope, bad roles, bad names and the reserved name', () => {
    create({ expiresAt: NOW }).thenThrows('VALIDATION', /expires_at must be in the future/);
    create({ expiresAt: 'tomorrow' }).thenThrows('VALIDATION', /expires_at/);
    create({ scope: 'job' }).thenThrows('VALIDATION', /scope/);
    create({ roles: ['Viewer', 'Owner'] }).thenThrows('VALIDATION', /roles/);
    create({ name: 'two words' }).thenThrows('VALIDATION', /name/);
    create({ name: 'Admin' }).thenThrows('TOKEN.NAME_TAKEN', /reserved/);
  });

  it('revokes a token once; an unknown or abandoned one is not found', () => {
    given(tokenDecider, [created]).when({ type: 'RevokeToken', data: {} }).then([revoked]);
    given(tokenDecider, [created, revoked]).when({ type: 'RevokeToken', data: {} }).then([]);
    given(tokenDecider).when({ type: 'RevokeToken', data: {} }).thenThrows('TOKEN.NOT_FOUND');
    given(tokenDecider, [{ type: 'TokenAbandoned', data: { tokenId: 't1' } }]).when({ type: 'RevokeToken', data: {} }).thenThrows('TOKEN.NOT_FOUND');
  });

  it('refuses at resolution a revoked, an expired, an abandoned and an unknown token, by the clock it is given', () => {
    const state = (...events: TokenEvent[]) => events.reduce(tokenDecider.evolve, tokenDecider.initialState);
    const expiring = { ...created, data: { ...definition, expiresAt: '2026-11-25T09:00:00.000Z' } } as TokenEvent;
    expect(tokenRefusal(state(created), new Date(NOW))).toBeUndefined();
    expect(tokenRefusal(state(created, revoked), new Date(NOW))).toMatch(/revoked/);
    expect(tokenRefusal(state(expiring), new Date('2026-11-25T08:59:59.999Z'))).toBeUndefined();
    expect(tokenRefusal(state(expiring), new Date('2026-11-25T09:00:00.000Z'))).toMatch(/expired/);
    expect(tokenRefusal(state({ type: 'TokenAbandoned', data: { tokenId: 't1' } }), new Date(NOW))).toMatch(/not valid/);
    expect(tokenRefusal(state(), new Date(NOW))).toMatch(/not valid/);
  });
});
