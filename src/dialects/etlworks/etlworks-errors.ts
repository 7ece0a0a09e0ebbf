import { STATUS_CODES } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { describeError } from '../../http/errors.js';

/** The 401 challenge: these routes take a bearer JWT and nothing else. */
const CHALLENGE = 'Bearer realm="Sluice", charset="UTF-8"';

/**
 * Etlworks documents its error statuses but not their bodies. It is a Java service, so errors answer in the
 * Spring shape it would give, less what only helps a browser: `{"status", "error", "message"}`, where
 * `error` is the status's reason phrase and `message` says what was wrong.
 */
@Catch()
export class EtlworksErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, message, headers } = describeError(exception);
    // A log download that fails half-way has already sent its status: all that is left is to cut it short.
    if (res.headersSent) return void res.destroy();
    if (headers?.['Retry-After']) res.set('Retry-After', headers['Retry-After']);
    if (status === 401) res.set('WWW-Authenticate', CHALLENGE);
    res.status(status).json({ status, error: STATUS_CODES[status] ?? 'Error', message });
  }
}
