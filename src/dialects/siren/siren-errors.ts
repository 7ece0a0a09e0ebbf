import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { describeError } from '../../http/errors.js';

/** The Elasticsearch exception type each status answers with, as Elasticsearch names its own. */
const TYPES: Record<number, string> = {
  400: 'illegal_argument_exception',
  401: 'security_exception',
  403: 'security_exception',
  404: 'resource_not_found_exception',
  409: 'version_conflict_engine_exception',
  413: 'content_too_long_exception',
  415: 'media_type_header_exception',
  429: 'too_many_requests_exception',
};

const CHALLENGE = 'Basic realm="Sluice", Bearer realm="Sluice", charset="UTF-8"';

/** A refusal of Siren's own, with the exception type Siren would give (a job already running, one not running). */
export class SirenError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    reason: string,
  ) {
    super(reason);
    this.name = 'SirenError';
  }
}

/** Errors as Elasticsearch answers them: `{"error": {"root_cause": [...], "type", "reason"}, "status"}`. */
@Catch()
export class SirenErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    // Siren's own refusals are answers, not faults: only anything else goes through describeError (which logs the unexpected).
    const described = exception instanceof SirenError ? { status: exception.status, message: exception.message } : describeError(exception);
    const { status } = described;
    const type = exception instanceof SirenError ? exception.type : (TYPES[status] ?? 'exception');
    const reason = described.message;
    const retryAfter = 'headers' in described ? described.headers?.['Retry-After'] : undefined;
    if (retryAfter) res.set('Retry-After', retryAfter);
    if (status === 401) res.set('WWW-Authenticate', CHALLENGE);
    res.status(status).json({ error: { root_cause: [{ type, reason }], type, reason }, status });
  }
}
