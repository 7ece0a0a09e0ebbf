import { Param, ParseUUIDPipe } from '@nestjs/common';
import { DomainError, type ErrorCode } from '../../core/errors.js';

/**
 * A path id that must be one Sluice gave out (a UUID), else `notFound`: an id is put into a stream name, and a
 * made-up one (`name-x`) could otherwise name another stream (`token-name-x`).
 */
export const IdParam = (name: string, notFound: ErrorCode) =>
  Param(name, new ParseUUIDPipe({ exceptionFactory: () => new DomainError(notFound, `No such ${notFound.split('.')[0].toLowerCase()}`) }));
