import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { describeError } from '../../http/errors.js';
import { AUTH_FAILED } from './prisma.guard.js';

/**
 * Prisma's errors are a status and, since the seed shows no body, a short plain-text message saying why
 * (`text/plain`, whatever Accept asks). A refused credential is a 403 `Falló de autenticación: …`, never a 401.
 */
@Catch()
export class PrismaErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    // A download that broke after its first bytes (often the client going away): the answer is cut, nothing more can be said.
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const { status, message, headers } = describeError(exception);
    const [answered, text] = status === 401 ? [403, AUTH_FAILED] : [status, message];
    res
      .set(headers?.['Retry-After'] ? { 'Retry-After': headers['Retry-After'] } : {})
      .status(answered)
      .type('text/plain')
      .send(text);
  }
}
