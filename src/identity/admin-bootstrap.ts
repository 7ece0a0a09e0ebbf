import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SETTINGS, type Settings } from '../config/settings.js';
import { DomainError } from '../core/errors.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { type CommandContext, decideAndAppend, loadState, systemClock } from '../core/write-path.js';
import { checkPasswordLength, hashPassword, verifyPassword } from './hashing.js';
import { currentOwner } from './unique-claims.js';
import { CreateUser, createUser, uniqueLogin } from './users.commands.js';
import { userDecider, userStream } from './user.decider.js';

export const ADMIN_LOGIN = 'admin';
const MAX_ATTEMPTS = 5;

/**
 * Makes the user `admin` exist, enabled, with the Administrator role and a password that verifies, appending only
 * what differs (nothing on a restart with the same password). Two instances starting at once both succeed: the
 * one that loses the login reads the winner's user and checks that one instead.
 */
export async function ensureAdminUser(store: EventStore, password: string, ctx: CommandContext): Promise<'created' | 'updated' | 'unchanged'> {
  checkPasswordLength(password);
  for (let attempt = 1; ; attempt++) {
    const userId = await currentOwner(store, uniqueLogin(ADMIN_LOGIN));
    const { state } = userId ? await loadState(store, userStream(userId), userDecider) : { state: userDecider.initialState };
    try {
      if (state.status === 'active') {
        const passwordHash = (await verifyPassword(password, state.passwordHash)) ? undefined : await hashPassword(password);
        const roles = state.roles.includes('Administrator') ? undefined : [...state.roles, 'Administrator' as const];
        const change = { ...(passwordHash ? { passwordHash } : {}), ...(roles ? { roles } : {}), ...(state.disabled ? { disabled: false } : {}) };
        const { events } = await decideAndAppend(store, userStream(state.userId), userDecider, { type: 'ChangeUser', data: change }, ctx);
        return events.length ? 'updated' : 'unchanged';
      }
      // Claimed and not written yet is most likely another instance's create in flight: give it a moment first.
      if (userId && attempt < MAX_ATTEMPTS) await new Promise((r) => setTimeout(r, 50 * attempt));
      else {
        await createUser(store, new CreateUser(randomUUID(), { login: ADMIN_LOGIN, password, roles: ['Administrator'] }, ctx));
        return 'created';
      }
    } catch (error) {
      const lostRace = error instanceof DomainError && (error.code === 'USER.LOGIN_TAKEN' || error.code === 'CONCURRENCY.CONFLICT');
      if (!lostRace || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

/** SLUICE_ADMIN_PASSWORD at start. Its events are the bootstrap credential's: it is what stands behind the environment. */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const password = this.settings.adminPassword;
    if (password === undefined) return;
    const ctx = { actor: 'token:admin', correlationId: `admin-bootstrap-${randomUUID()}`, commandId: randomUUID(), clock: systemClock };
    let outcome: string;
    try {
      outcome = await ensureAdminUser(this.store, password, ctx);
    } catch (error) {
      throw new Error(`SLUICE_ADMIN_PASSWORD: the user ${ADMIN_LOGIN} could not be set up: ${(error as Error).message}`, { cause: error });
    }
    new Logger('Identity').log(`User ${ADMIN_LOGIN} (SLUICE_ADMIN_PASSWORD): ${outcome}`);
  }
}
