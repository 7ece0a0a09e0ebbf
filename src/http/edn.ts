import type { NextFunction, Request, Response } from 'express';
import { toEDNStringFromSimpleObject } from 'edn-data';

export const EDN = 'application/edn';

/** Content negotiation for every JSON answer (errors too): `Accept: application/edn` gets EDN with keyword keys. */
export function ednAnswers(req: Request, res: Response, next: NextFunction): void {
  if (wantsEdn(req)) {
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (body === undefined || body === null) return json(body);
      res.type(EDN);
      return res.send(toEdn(body));
    };
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
