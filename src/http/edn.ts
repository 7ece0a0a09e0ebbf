import type { NextFunction, Request, Response } from 'express';
import { parseEDNString, toEDNStringFromSimpleObject } from 'edn-data';

export const EDN = 'application/edn';

/**
 * Content negotiation for every JSON answer (errors too): `Accept: application/edn` gets EDN with keyword
 * keys. Bodies sent as `Content-Type: application/edn` are parsed into plain objects before validation.
 */
export function ednMiddleware(req: Request, res: Response, next: NextFunction): void {
  if (wantsEdn(req)) {
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (body === undefined || body === null) return json(body);
      res.type(EDN);
      return res.send(toEdn(body));
    };
  }
  if (req.is(EDN) && typeof req.body === 'string') {
    const parsed = parseEdn(req.body);
    if (parsed === undefined) {
      res.status(400).json({ error: { code: 'VALIDATION', message: 'The request body is not valid EDN: expected one map or vector' } });
      return;
    }
    req.body = parsed;
  }
  next();
}

function wantsEdn(req: Request): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes(EDN) && req.accepts(['application/json', EDN]) === EDN;
}

export function toEdn(body: unknown): string {
  return toEDNStringFromSimpleObject(JSON.parse(JSON.stringify(body)));
}

function parseEdn(text: string): unknown {
  try {
    const value = parseEDNString(text, { mapAs: 'object', keywordAs: 'string', listAs: 'array', setAs: 'array' });
    return value !== null && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}
