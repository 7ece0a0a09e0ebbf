import { DomainError } from './errors.js';

export interface StoredFile {
  name: string;
  size: number;
  sha256: string;
  contentType: string;
  /** ISO 8601 UTC: when the file became visible. */
  createdAt: string;
}

export interface PutOptions {
  /** Default `application/octet-stream`. */
  contentType?: string;
  maxBytes?: number;
}

/** Uploaded and generated files (CSV uploads, exports): streamed in and out, never held whole in memory. */
export interface FileStore {
  /**
   * Streams `content` in; the file becomes visible (get/stat/list) only once complete, replacing any file of
   * that name. Over `maxBytes`: rejects with FileTooLargeError, stops reading `content` and stores nothing.
   * A put that fails or is interrupted half-way (or a crash) leaves nothing that get/stat/list can see.
   */
  put(name: string, content: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, options?: PutOptions): Promise<StoredFile>;
  /** The file as a stream, or null. */
  get(name: string): Promise<{ file: StoredFile; stream: NodeJS.ReadableStream } | null>;
  stat(name: string): Promise<StoredFile | null>;
  delete(name: string): Promise<boolean>;
  /** Files whose name starts with `prefix`, by name. */
  list(prefix: string): Promise<StoredFile[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const FILE_STORE = Symbol('FileStore');

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** A DomainError so that an upload over the limit is answered 413 wherever it surfaces. */
export class FileTooLargeError extends DomainError {
  constructor(readonly maxBytes: number) {
    super('BODY.TOO_LARGE', `The file is larger than ${maxBytes} bytes`);
    this.name = 'FileTooLargeError';
  }
}

const MAX_NAME_LENGTH = 500;
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Throws on a name that could escape the store: segments of [A-Za-z0-9._-] separated by '/', none empty, '.' or '..', at most 500 chars. */
export function checkFileName(name: string): void {
  const valid =
    typeof name === 'string' &&
    name.length <= MAX_NAME_LENGTH &&
    name.split('/').every((segment) => SEGMENT.test(segment) && segment !== '.' && segment !== '..');
  if (!valid) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 80)) : typeof name;
    const rule = `segments of letters, digits, '.', '_' and '-' separated by '/' (none empty, '.' or '..'), at most ${MAX_NAME_LENGTH} characters`;
    throw new DomainError('VALIDATION', `Invalid file name ${shown}: use ${rule}`, 'name');
  }
}

/** A chunk of `content` as bytes: old-style streams may hand out strings. */
export function asBytes(chunk: Uint8Array | string): Uint8Array {
  return typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
}
