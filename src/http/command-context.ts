import { randomUUID } from 'node:crypto';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { CommandContext } from '../core/write-path.js';

/** The command context of a request: who (set by the auth guard), its correlation id, and now. */
export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext): CommandContext => {
  const req = context.switchToHttp().getRequest<Request & { actor?: string }>();
  const header = req.headers['x-correlation-id'];
  return {
    actor: req.actor ?? 'anonymous',
    correlationId: typeof header === 'string' && header ? header : randomUUID(),
    commandId: randomUUID(),
    now: new Date(),
  };
});
