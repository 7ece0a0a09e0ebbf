import { given } from '../core/given.js';
import { type UserEvent, userDecider } from './user.decider.js';

const created: UserEvent = { type: 'UserCreated', data: { userId: 'u1', login: 'ada', passwordHash: 'h1', roles: ['Operator'] } };
const disabled: UserEvent = { type: 'UserDisabled', data: { userId: 'u1' } };

describe('user decider', () => {
  it('creates a user with a valid login and known roles, each once', () => {
    given(userDecider)
      .when({ type: 'CreateUser', data: { userId: 'u1', login: 'ada', passwordHash: 'h1', roles: ['Operator', 'Operator'] } })
      .then([created]);
  });

  it('refuses logins outside 1-64 of [A-Za-z0-9._@-], and empty or unknown roles', () => {
    const create = (login: string, roles: unknown) => given(userDecider).when({ type: 'CreateUser', data: { userId: 'u', login, passwordHash: 'h', roles: roles as never } });
    create('', ['Viewer']).thenThrows('VALIDATION', /login/);
    create('a b', ['Viewer']).thenThrows('VALIDATION', /login/);
    create('x'.repeat(65), ['Viewer']).thenThrows('VALIDATION', /login/);
    create('ada.l@x-y_z', []).thenThrows('VALIDATION', /roles/);
    create('ada', ['Root']).thenThrows('VALIDATION', /roles must be a non-empty list of Viewer, Operator, Administrator/);
    create('x'.repeat(64), ['Viewer']).then([{ type: 'UserCreated', data: { userId: 'u', login: 'x'.repeat(64), passwordHash: 'h', roles: ['Viewer'] } }]);
  });

  it('never writes a user stream twice, nor one fenced after its login claim was abandoned', () => {
    given(userDecider, [created]).when({ type: 'CreateUser', data: created.data }).thenThrows('CONCURRENCY.CONFLICT');
    given(userDecider, [{ type: 'UserAbandoned', data: { userId: 'u1' } }]).when({ type: 'CreateUser', data: created.data }).thenThrows('CONCURRENCY.CONFLICT');
  });

  it('changes only what differs, and nothing when nothing does', () => {
    given(userDecider, [created])
      .when({ type: 'ChangeUser', data: { passwordHash: 'h2', roles: ['Operator'], disabled: false } })
      .then([{ type: 'UserPasswordChanged', data: { userId: 'u1', passwordHash: 'h2' } }]);
    given(userDecider, [created]).when({ type: 'ChangeUser', data: { passwordHash: 'h1', roles: ['Operator'], disabled: false } }).then([]);
    given(userDecider, [created])
      .when({ type: 'ChangeUser', data: { roles: ['Viewer', 'Administrator'] } })
      .then([{ type: 'UserRolesChanged', data: { userId: 'u1', roles: ['Viewer', 'Administrator'] } }]);
    given(userDecider, [created]).when({ type: 'ChangeUser', data: { roles: [] } }).thenThrows('VALIDATION', /roles/);
  });

  it('disables a user once and enables it again', () => {
    given(userDecider, [created]).when({ type: 'ChangeUser', data: { disabled: true } }).then([disabled]);
    given(userDecider, [created, disabled]).when({ type: 'ChangeUser', data: { disabled: true } }).then([]);
    given(userDecider, [created, disabled]).when({ type: 'ChangeUser', data: { disabled: false } }).then([{ type: 'UserEnabled', data: { userId: 'u1' } }]);
    expect(given(userDecider, [created]).when({ type: 'ChangeUser', data: { disabled: true } }).state()).toMatchObject({ status: 'active', disabled: true });
  });

  it('cannot change a user that was never created', () => {
    given(userDecider).when({ type: 'ChangeUser', data: { disabled: true } }).thenThrows('USER.NOT_FOUND');
    given(userDecider, [{ type: 'UserAbandoned', data: { userId: 'u1' } }]).when({ type: 'ChangeUser', data: { roles: ['Viewer'] } }).thenThrows('USER.NOT_FOUND');
  });
});
