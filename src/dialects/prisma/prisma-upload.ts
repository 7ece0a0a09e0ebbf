import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { DomainError } from '../../core/errors.js';
import type { UploadTarget } from '../../datasyncs/datasyncs.commands.js';

/** Where the form's file goes. */
export type FileTarget = UploadTarget;

/**
 * How long an upload may take to arrive. Node ends every request not received within the server's
 * requestTimeout (5 minutes, kept for every other route); a file of SLUICE_MAX_UPLOAD_MB over a slow link
 * takes longer.
 */
export const UPLOAD_TIMEOUT_MS = 60 * 60 * 1000;

const REQUEST_TIMEOUT = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n';

/**
 * Gives this one request `ms` to arrive instead of the server's requestTimeout. Node checks that timeout over
 * the connections its HTTP parsers list (checkConnections in node:_http_server); this request's parser leaves
 * the list (parser.remove(), which Node calls itself when it frees a parser), and a timer of its own ends the
 * request as Node would: a 408 when nothing was answered yet, then the connection closed. The answer closes
 * the connection, so no later request on it goes unchecked and shutdown does not wait for it. Without that
 * parser API (another server) the server's own timeout stays.
 */
export function allowSlowRequest(req: Request, ms: number): void {
  if (req.complete) return;
  const parser = (req.socket as { parser?: { remove?: () => void } }).parser;
  if (typeof parser?.remove !== 'function') return;
  parser.remove();
  if (req.res && !req.res.headersSent) req.res.setHeader('Connection', 'close');
  const socket = req.socket;
  const timer = setTimeout(() => {
    if (req.complete || socket.destroyed) return;
    if (socket.writable && !req.res?.headersSent) socket.write(REQUEST_TIMEOUT);
    socket.destroy();
  }, ms).unref();
  const done = () => clearTimeout(timer);
  req.once('end', done);
  req.once('close', done);
  socket.once('close', done);
}

/** A CSV form has one file and perhaps a few small fields (ignored); anything bigger is not a Prisma upload. */
const FORM_LIMITS = { files: 1, fields: 20, parts: 21, fieldSize: 64 * 1024, headerPairs: 50 };

const invalid = (message: string) => new DomainError('VALIDATION', message, 'file');

/**
 * Reads a multipart/form-data request once, streaming the file of `field` into `target` as it arrives: the
 * upload is never held whole, and the store stops reading it at its size limit. Resolves once the whole form
 * is read and the file stored; on any failure nothing is left stored and the rest of the request is discarded
 * (so the client still reads the answer).
 */
export function receiveFile(req: Request, field: string, target: FileTarget, timeoutMs = UPLOAD_TIMEOUT_MS): Promise<void> {
  const howTo = `send the CSV as multipart/form-data in the field "${field}" (curl -F ${field}=@data.csv)`;
  if (!/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) throw invalid(`This is not a form upload: ${howTo}`);
  allowSlowRequest(req, timeoutMs);
  let form: busboy.Busboy;
  try {
    form = busboy({ headers: req.headers, limits: FORM_LIMITS });
  } catch (error) {
    throw invalid(`The form cannot be read (${(error as Error).message}): ${howTo}`);
  }
  return new Promise<void>((resolve, reject) => {
    let stored: Promise<unknown> | undefined;
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      req.unpipe(form);
      req.resume();
      form.destroy();
      const removed = stored ? stored.then(() => target.remove(), () => undefined) : Promise.resolve();
      void removed.catch(() => undefined).then(() => reject(error));
    };
    form.on('file', (name: string, stream: Readable) => {
      if (name !== field) {
        // Destroyed with the form below: its error is the form's, already answered.
        stream.on('error', () => undefined).resume();
        fail(invalid(`The file is in the field "${name}": ${howTo}`));
        return;
      }
      stored = target.put(stream);
      stored.catch(fail);
    });
    form.on('field', (name: string) => {
      if (name === field) fail(invalid(`The field "${field}" holds text, not a file: ${howTo}`));
    });
    form.on('filesLimit', () => fail(invalid(`The form has more than one file: ${howTo}`)));
    form.on('fieldsLimit', () => fail(invalid(`The form has more than ${FORM_LIMITS.fields} fields: ${howTo}`)));
    form.on('partsLimit', () => fail(invalid(`The form has more than ${FORM_LIMITS.parts} parts: ${howTo}`)));
    form.on('error', (error: Error) => fail(invalid(`The form cannot be read (${error.message}): ${howTo}`)));
    form.on('close', () => {
      if (!stored) return fail(invalid(`The form has no field "${field}": ${howTo}`));
      stored.then(() => {
        if (settled) return;
        settled = true;
        resolve();
      }, fail);
    });
    // A client gone half-way: the file stream ends in an error, so the store keeps nothing.
    req.on('close', () => {
      if (!req.complete) fail(invalid('The upload was cut off before its end'));
    });
    req.pipe(form);
  });
}
