import type { Decider } from '../core/decider.js';
import { DomainError } from '../core/errors.js';
import type { DomainEvent } from '../core/events.js';
import { checkRoles } from './identity.rules.js';
import type { Role } from './roles.js';

export type UserCommand =
  | { type: 'CreateUser'; data: { userId: string; login: string; passwordHash: string; roles: Role[] } }
  /** Changes only what is sent and differs; `disabled` false enables the user again. */
  | { type: 'ChangeUser'; data: { passwordHash?: string; roles?: Role[]; disabled?: boolean } };

export type UserEvent =
  | DomainEvent<'UserCreated', { userId: string; login: string; passwordHash: string; roles: Role[] }>
  | DomainEvent<'UserPasswordChanged', { userId: string; passwordHash: string }>
  | DomainEvent<'UserRolesChanged', { userId: string; roles: Role[] }>
  | DomainEvent<'UserDisabled', { userId: string }>
  | DomainEvent<'UserEnabled', { userId: string }>
  /** Written where a login was claimed but the user never created, so a slow original create cannot land any more. */
  | DomainEvent<'UserAbandoned', { userId: string }>;

export type UserState =
  | { status: 'none' }
  | { status: 'abandoned' }
  | { status: 'active'; userId: string; login: string; passwordHash: string; roles: Role[]; disabled: boolean };

export const userStream = (userId: string) => `user-${userId}`;
/** Keeps logins unique whatever their case: appended at no_stream by the create that claims it. */
export const loginStream = (login: string) => `login-${login.toLowerCase()}`;

export const LOGIN = /^[A-Za-z0-9._@-]{1,64}$/;

export const userDecider: Decider<UserState, UserCommand, UserEvent> = {
  initialState: { status: 'none' },
  decide(command, state) {
    switch (command.type) {
      case 'CreateUser': {
        if (state.status !== 'none') throw new DomainError('CONCURRENCY.CONFLICT', `User ${command.data.userId} was already written; try again`);
        const { userId, login, passwordHash, roles } = command.data;
        if (typeof login !== 'string' || !LOGIN.test(login)) {
          throw new DomainError('VALIDATION', 'login must be 1 to 64 characters of A-Z, a-z, 0-9, ".", "_", "@" and "-"', 'login');
        }
        return [{ type: 'UserCreated', data: { userId, login, passwordHash, roles: checkRoles(roles) } }];
      }
      case 'ChangeUser': {
        if (state.status !== 'active') throw new DomainError('USER.NOT_FOUND', 'User not found');
        const { passwordHash, roles, disabled } = command.data;
        const { userId } = state;
        const events: UserEvent[] = [];
        if (passwordHash !== undefined && passwordHash !== state.passwordHash) events.push({ type: 'UserPasswordChanged', data: { userId, passwordHash } });
        if (roles !== undefined) {
          const next = checkRoles(roles);
          if ([...next].sort().join() !== [...state.roles].sort().join()) events.push({ type: 'UserRolesChanged', data: { userId, roles: next } });
        }
        if (disabled === true && !state.disabled) events.push({ type: 'UserDisabled', data: { userId } });
        if (disabled === false && state.disabled) events.push({ type: 'UserEnabled', data: { userId } });
        return events;
      }
      default: {
        const _exhaustive: never = command;
        return _exhaustive;
      }
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'UserCreated':
        return { status: 'active', ...event.data, disabled: false };
      case 'UserPasswordChanged':
        return state.status === 'active' ? { ...state, passwordHash: event.data.passwordHash } : state;
      case 'UserRolesChanged':
        return state.status === 'active' ? { ...state, roles: event.data.roles } : state;
      case 'UserDisabled':
        return state.status === 'active' ? { ...state, disabled: true } : state;
      case 'UserEnabled':
        return state.status === 'active' ? { ...state, disabled: false } : state;
      case 'UserAbandoned':
        return state.status === 'none' ? { status: 'abandoned' } : state;
      default:
        // An event of another kind (its stream was not this decider's): it changes nothing here.
        return state;
    }
  },
};
