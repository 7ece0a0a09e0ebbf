import { HttpException, Logger } from '@nestjs/common';
import { DomainError, ThrottledError } from '../core/errors.js';
import { InvalidCursorError } from '../core/read-store.js';
import { ReadModelBehindError } from '../core/read-model-progress.js';

export interface HttpError {
  status: number;
  code: string;
  message: string;
  field?: string;
  /** The write's position, when the read models had not caught up with it (202). */
  position?: string;
  /** Headers the answer must carry: Retry-After on a 429, WWW-Authenticate on a 401. */
  headers?: Record<string, string>;
}

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="Sluice", Basic realm="Sluice", charset="UTF-8"' };

const logger = new Logger('Errors');

/** Turns anything thrown into a status, a stable code and a message; dialects shape the body. */
export function describeError(error: unknown): HttpError {
  if (error instanceof ReadModelBehindError) return { status: error.status, code: error.code, message: error.message, position: error.position };
  if (error instanceof ThrottledError) {
    return { status: error.status, code: error.code, message: error.message, headers: { 'Retry-After': String(error.retryAfterSeconds) } };
  }
  if (error instanceof DomainError && error.code === 'UNAUTHORIZED') return { status: error.status, code: error.code, message: error.message, headers: CHALLENGE };
  if (error instanceof DomainError) return { status: error.status, code: error.code, message: error.message, field: error.field };
  if (error instanceof InvalidCursorError) return { status: 400, code: 'VALIDATION', message: error.message, field: 'cursor' };
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const body = error.getResponse();
    const raw = typeof body === 'object' && body && 'message' in body ? (body as { message: unknown }).message : error.message;
    const message = Array.isArray(raw) ? raw.join('; ') : String(raw);
    return { status, code: status === 400 ? 'VALIDATION' : status === 404 ? 'NOT_FOUND' : `HTTP_${status}`, message };
  }
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return { status: 500, code: 'INTERNAL', message: 'Internal error; the server log has the details' };
}
