import { createHash, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { SETTINGS, type Settings } from '../config/settings.js';
import { DomainError } from '../core/errors.js';

/**
 * The admin token, in CData's header `x-cdata-authtoken`, its query parameter `@authtoken`, or
 * `Authorization: Bearer`. Compared in constant time.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(SETTINGS) private readonly settings: Settings) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const presented = presentedToken(req);
    if (!presented) throw new DomainError('UNAUTHORIZED', 'An auth token is required: send it in the x-cdata-authtoken header, the @authtoken query parameter, or Authorization: Bearer');
    if (!sameSecret(presented, this.settings.adminToken)) throw new DomainError('UNAUTHORIZED', 'The auth token is not valid');
    (req as Request & { actor?: string }).actor = 'admin';
    return true;
  }
}

function presentedToken(req: Request): string | undefined {
  const header = req.headers['x-cdata-authtoken'];
  if (typeof header === 'string' && header) return header;
  const query = req.query['@authtoken'];
  if (typeof query === 'string' && query) return query;
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

export function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
