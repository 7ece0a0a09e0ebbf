import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../../core/errors.js';
import { ACCESS, type Access, describeAccess, roleOf } from '../../http/access.js';
import type { AuthenticatedRequest } from '../../http/auth.guard.js';
import { JwtTokens } from '../../identity/jwt.js';
import { allows } from '../../identity/roles.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const HOW = 'send the token from POST /rest/v1/token-auth/issue as the header Authorization: Bearer <token> or the query parameter ?Authorization=Bearer%20<token>';

const unauthorized = (message: string) => new DomainError('UNAUTHORIZED', message);

/**
 * Etlworks' credential: a JWT from its token-auth API, as `Authorization: Bearer <token>` or, where a header
 * cannot be set (a download link), `?Authorization=Bearer%20<token>`. The header wins when both are sent.
 */
export function presentedJwt(req: AuthenticatedRequest): { token: string; way: string } {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = BEARER.exec(header);
    if (!match) throw unauthorized(`The Authorization header is not a bearer token: ${HOW}`);
    return { token: match[1], way: 'etlworks-bearer' };
  }
  const query = req.query.Authorization;
  if (query === undefined) throw unauthorized(`A token is required: ${HOW}`);
  if (typeof query !== 'string') throw unauthorized('The Authorization query parameter must be given once');
  const token = BEARER.exec(query)?.[1] ?? (/^\S+$/.test(query) ? query : undefined);
  if (!token) throw unauthorized(`The Authorization query parameter is not a bearer token: ${HOW}`);
  return { token, way: 'etlworks-query' };
}

/** Resolves the JWT to its user through the identity store (throttled like every sign-in) and checks the route's role. */
@Injectable()
export class EtlworksGuard implements CanActivate {
  constructor(
    private readonly jwts: JwtTokens,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.reflector.get<Access | undefined>(ACCESS, context.getHandler());
    if (access === undefined) throw new Error(`${context.getClass().name}.${context.getHandler().name} declares no role`);
    if (access === 'Public') return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const { token, way } = presentedJwt(req);
    const principal = await this.jwts.authenticate(token, { way, address: req.ip ?? req.socket.remoteAddress ?? '' });
    const role = roleOf(access);
    if (role && !allows(principal.roles, role)) {
      throw new DomainError('FORBIDDEN', `${describeAccess(access)} ${principal.actor} has ${principal.roles.join(', ') || 'no role'}`);
    }
    req.principal = principal;
    return true;
  }
}
