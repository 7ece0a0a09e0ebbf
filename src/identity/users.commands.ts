import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DomainError } from '../core/errors.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { type CommandContext, decideAndAppend } from '../core/write-path.js';
import { checkPasswordLength, hashPassword } from './hashing.js';
import type { Role } from './roles.js';
import { claimName, type UniqueName } from './unique-claims.js';
import { loginStream, type UserCommand, userDecider, userStream } from './user.decider.js';

export interface UserChanged {
  id: string;
  /** Where the change landed in the log; queries wait for it to read their own writes. */
  position?: string;
}

export class CreateUser extends Command<UserChanged> {
  constructor(
    readonly userId: string,
    readonly user: { login: string; password: string; roles: Role[] },
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

export class ChangeUser extends Command<UserChanged> {
  constructor(
    readonly userId: string,
    readonly change: { password?: string; roles?: Role[]; disabled?: boolean },
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

/** A login's own stream: its last LoginClaimed names the user holding it. */
export const uniqueLogin = (login: string): UniqueName => ({
  stream: loginStream(login),
  claim: (userId) => ({ type: 'LoginClaimed', data: { login, userId } }),
  ownerOf: (event) => (event.data as { userId: string }).userId,
  ownerStream: userStream,
  abandon: (userId) => ({ type: 'UserAbandoned', data: { userId } }),
  taken: () => new DomainError('USER.LOGIN_TAKEN', `The login ${login} is taken`, 'login'),
});

/** Checked, then the login claimed, then the user's stream written: invalid input writes nothing. */
export async function createUser(store: EventStore, { userId, user, ctx }: CreateUser): Promise<UserChanged> {
  checkPasswordLength(user.password);
  const create = (passwordHash: string): UserCommand => ({ type: 'CreateUser', data: { userId, login: user.login, passwordHash, roles: user.roles } });
  userDecider.decide(create('unchecked'), userDecider.initialState);
  const passwordHash = await hashPassword(user.password);
  await claimName(store, uniqueLogin(user.login), userId, ctx);
  const { position } = await decideAndAppend(store, userStream(userId), userDecider, create(passwordHash), ctx);
  return { id: userId, position };
}

@CommandHandler(CreateUser)
export class CreateUserHandler implements ICommandHandler<CreateUser> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  execute(command: CreateUser): Promise<UserChanged> {
    return createUser(this.store, command);
  }
}

/** A new password is hashed with a new salt, so sending one always changes the stored hash. */
@CommandHandler(ChangeUser)
export class ChangeUserHandler implements ICommandHandler<ChangeUser> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ userId, change, ctx }: ChangeUser): Promise<UserChanged> {
    const { password, ...rest } = change;
    if (password !== undefined) checkPasswordLength(password);
    const passwordHash = password === undefined ? undefined : await hashPassword(password);
    const command: UserCommand = { type: 'ChangeUser', data: { ...rest, ...(passwordHash ? { passwordHash } : {}) } };
    const { position } = await decideAndAppend(this.store, userStream(userId), userDecider, command, ctx);
    return { id: userId, position };
  }
}
