import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError } from '../../core/errors.js';
import { describeError } from '../../http/errors.js';

/** An answer in Jitsu's words: `message` says what failed, `error` why (the seed's `Error getting source` / `Source [x] doesn't exist`). */
export class JitsuError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'JitsuError';
  }
}

/** Rethrows a domain error (a 4xx of the core) as Jitsu's `{message, error}` under `message`; anything else as it was. */
export function inJitsuWords(message: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof DomainError && error.status >= 400 && error.status < 500 && error.code !== 'UNAUTHORIZED') throw new JitsuError(error.status, message, error.message);
    throw error;
  };
}

/** Jitsu's error body `{"message", "error"}`; a refused admin token is `{"message": "Admin token does not match"}` as in Jitsu. */
@Catch()
export class JitsuErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof JitsuError) {
      res.status(exception.status).json({ message: exception.message, ...(exception.detail ? { error: exception.detail } : {}) });
      return;
    }
    const { status, code, message, headers } = describeError(exception);
    if (status === 401) {
      res.status(401).json({ message: 'Admin token does not match' });
      return;
    }
    res
      .set(headers?.['Retry-After'] ? { 'Retry-After': headers['Retry-After'] } : {})
      .status(status)
      .json({ message, error: code });
  }
}
