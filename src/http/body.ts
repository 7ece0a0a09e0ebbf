import { type PipeTransform } from '@nestjs/common';
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { DomainError } from '../core/errors.js';
import { EDN } from './edn.js';
import { readEdn } from './edn-reader.js';

const JSON_TYPES = ['application/json', 'application/*+json'];
export const BODY_TYPES = ['application/json', EDN];

/**
 * Why a body was not read. It takes the body's place on the request, so only a route that takes a body
 * answers with it (through `answerRefusedBody`, inside Nest, where the route's own error filter shapes it);
 * routes without a body never look at it.
 */
class BodyRejection {
  constructor(readonly error: Error) {}
}

/** No `Transfer-Encoding` and no positive `Content-Length`: nothing to read (every GET, `POST .../execute` with nothing). */
const hasNoBody = (req: Request) => req.headers['transfer-encoding'] === undefined && !(Number(req.headers['content-length']) > 0);

/**
 * Reads JSON and EDN bodies of at most `maxBodyKb` KB. Any other body is refused with 415, an oversized one
 * with 413, one that does not parse with 400. A request without a body passes in one step, not six.
 */
export function bodyParsers(maxBodyKb: number): RequestHandler {
  const parsers = express.Router();
  for (const parser of bodyReaders(maxBodyKb)) parsers.use(parser);
  return (req, res, next) => (hasNoBody(req) ? next() : parsers(req, res, next));
}

function bodyReaders(maxBodyKb: number): Array<RequestHandler | ErrorRequestHandler> {
  const limit = `${maxBodyKb}kb`;
  const refuse = (req: Request, error: Error) => {
    req.body = new BodyRejection(error);
  };
  const edn: RequestHandler = (req, _res, next) => {
    if (req.is(EDN) && typeof req.body === 'string') {
      try {
        req.body = readEdn(req.body);
      } catch (error) {
        refuse(req, error as Error);
      }
    }
    next();
  };
  const unsupported: RequestHandler = (req, _res, next) => {
    if (req.is([...JSON_TYPES, EDN]) === false) {
      const type = req.headers['content-type'] ?? 'none';
      refuse(req, new DomainError('BODY.UNSUPPORTED_TYPE', `Bodies are read as ${BODY_TYPES.join(' or ')}; this one is ${type}`));
    }
    next();
  };
  const failed: ErrorRequestHandler = (error: { type?: string; status?: number; message: string }, req: Request, _res: Response, next: NextFunction) => {
    if (error.type === 'entity.too.large') {
      refuse(req, new DomainError('BODY.TOO_LARGE', `The request body is larger than ${maxBodyKb} KB (SLUICE_MAX_BODY_KB)`));
    } else if (error.type === 'entity.parse.failed') {
      refuse(req, new DomainError('VALIDATION', `The request body is not valid JSON: ${error.message}`));
    } else if (error.status === 415) {
      refuse(req, new DomainError('BODY.UNSUPPORTED_TYPE', error.message));
    } else if (error.status && error.status >= 400 && error.status < 500) {
      refuse(req, new DomainError('VALIDATION', `The request body could not be read: ${error.message}`));
    } else {
      return next(error);
    }
    next();
  };
  return [express.json({ limit, type: JSON_TYPES }), express.text({ type: EDN, limit }), edn, unsupported, failed];
}

/**
 * Throws why the parsers refused a body (413, 415, 400). Each dialect's body pipe calls it first (see
 * validation.ts), or has `rejectedBodies` among its pipes. Not a global pipe: with one, every parameter of
 * every route goes through one pipe more, which cost `GET /jobs/{id}` ~4% of its rate.
 */
export function answerRefusedBody(value: unknown): void {
  if (value instanceof BodyRejection) throw value.error;
}

/** For a dialect whose routes validate their bodies themselves (Siren). */
export const rejectedBodies: PipeTransform = {
  transform(value: unknown) {
    answerRefusedBody(value);
    return value;
  },
};
