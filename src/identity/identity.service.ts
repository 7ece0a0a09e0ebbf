import { Inject, Injectable } from '@nestjs/common';
import { SETTINGS, type Settings } from '../config/settings.js';
import { DomainError } from '../core/errors.js';
import { sameSecret } from './hashing.js';
import type { Credential, Principal, SignInAttempt } from './principal.js';
import { SignIns } from './sign-ins.js';

/** The bootstrap credential: SLUICE_ADMIN_TOKEN or the generated one. */
export const BOOTSTRAP_TOKEN: Omit<Principal, 'roles'> & { roles: ['Administrator'] } = {
  actor: 'token:admin',
  kind: 'token',
  id: 'admin',
  name: 'admin',
  roles: ['Administrator'],
};

/** Resolves every dialect's credentials to a principal. SKELETON: only the bootstrap token so far. */
@Injectable()
export class IdentityService {
  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    private readonly signIns: SignIns,
  ) {}

  /** The principal the credential belongs to; UNAUTHORIZED when it belongs to none, ThrottledError after too many failures. */
  authenticate(attempt: SignInAttempt): Promise<Principal> {
    return this.signIns.attempt(attempt, () => this.resolve(attempt.credential));
  }

  private async resolve(credential: Credential): Promise<Principal> {
    const token = credential.kind === 'token' ? credential.token : credential.tokenAsPassword ? credential.password : undefined;
    if (token !== undefined && sameSecret(token, this.settings.adminToken)) return BOOTSTRAP_TOKEN;
    throw new DomainError('UNAUTHORIZED', 'The credential is not valid');
  }
}
