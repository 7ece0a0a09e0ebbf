import { type CanActivate, type ExecutionContext, Inject, Injectable, mixin, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { SETTINGS, type Settings } from '../config/settings.js';
import { DomainError } from '../core/errors.js';
import { IdentityService } from '../identity/identity.service.js';
import type { Principal } from '../identity/principal.js';
import { allows } from '../identity/roles.js';
import { ACCESS, type Access, describeAccess, roleOf } from './access.js';
import { type Presentation, presentedCredential } from './credentials.js';

export type AuthenticatedRequest = Request & { principal?: Principal };

/**
 * A guard for a dialect: finds the credential in one of the dialect's `ways`, resolves it through the one
 * identity store, and checks it against the access the route declared with @Roles.
 */
export function AuthGuard(ways: readonly Presentation[]): Type<CanActivate> {
  @Injectable()
  class DialectAuthGuard implements CanActivate {
    constructor(
      private readonly identity: IdentityService,
      private readonly reflector: Reflector,
      @Inject(SETTINGS) private readonly settings: Pick<Settings, 'trustProxy'>,
    ) {}

    async canActivate(context: ExecutionContext): Promise<boolean> {
      const access = this.reflector.get<Access | undefined>(ACCESS, context.getHandler());
      if (access === undefined) throw new Error(`${context.getClass().name}.${context.getHandler().name} declares no role`);
      if (access === 'Public') return true;
      const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
      const credential = presentedCredential(ways, req);
      if (!credential) throw new DomainError('UNAUTHORIZED', `A credential is required: send it in ${ways.map((w) => w.describe).join(', or ')}`);
      // Express's req.ip walks X-Forwarded-For with the trust function: only worth it when a proxy is trusted.
      const address = (this.settings.trustProxy === undefined ? req.socket.remoteAddress : req.ip) ?? req.socket.remoteAddress ?? '';
      const principal = await this.identity.authenticate({ credential, address });
      checkAccess(principal, access, req.params);
      req.principal = principal;
      return true;
    }
  }
  return mixin(DialectAuthGuard);
}

function checkAccess(principal: Principal, access: Access, params: Record<string, unknown>): void {
  if (principal.scope) {
    const resource = typeof access === 'object' ? access.resource.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? '')) : undefined;
    if (access !== 'Authenticated' && resource !== principal.scope) {
      throw new DomainError('FORBIDDEN', `${principal.actor} is scoped to ${principal.scope} and may not use this route`);
    }
  }
  const role = roleOf(access);
  if (role && !allows(principal.roles, role)) {
    throw new DomainError('FORBIDDEN', `${describeAccess(access)} ${principal.actor} has ${principal.roles.join(', ') || 'no role'}`);
  }
}
