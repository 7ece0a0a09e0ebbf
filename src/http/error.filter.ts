import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { describeError } from './errors.js';

/** `{"error": {"code", "message"}}`: the CData Sync dialect's error body, also used by Sluice's own routes. */
@Catch()
export class JsonErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const { status, code, message, field, position, headers } = describeError(exception);
    host
      .switchToHttp()
      .getResponse<Response>()
      .set(headers ?? {})
      .status(status)
      .json({ error: { code, message, ...(field ? { field } : {}), ...(position ? { position } : {}) } });
  }
}
