import { randomUUID } from 'node:crypto';
import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { type CommandContext, systemClock } from '../core/write-path.js';
import { DomainError } from '../core/errors.js';
import type { Principal } from '../identity/principal.js';
import type { AuthenticatedRequest } from './auth.guard.js';

/** A caller's correlation id is kept only when it is short and plain enough to log and search for safely. */
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function correlationIdOf(header: unknown): string {
  return typeof header === 'string' && CORRELATION_ID.test(header) ? header : randomUUID();
}

/** Which dialect a controller speaks, for the `via` of the events its requests cause. */
export const DIALECT = 'sluice:dialect';
export const Dialect = (name: string) => SetMetadata(DIALECT, name);

/** The command context of a request: who (set by the auth guard), its correlation id, the clock, and the dialect and route. */
export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext): CommandContext => {
  const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
  const dialect = Reflect.getMetadata(DIALECT, context.getClass()) as string | undefined;
  return {
    actor: req.principal?.actor ?? 'anonymous',
    correlationId: correlationIdOf(req.headers['x-correlation-id']),
    commandId: randomUUID(),
    clock: systemClock,
    ...(dialect ? { via: { dialect, route: `${req.method} ${req.baseUrl}${req.route?.path ?? req.path}` } } : {}),
  };
});

/** The principal the auth guard resolved for this request (routes that are not Public always have one). */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new DomainError('UNAUTHORIZED', 'A credential is required');
  return principal;
});
