import { Readable } from 'node:stream';
import { type Column, ConnectorError, type Row } from './connectors/connector.js';
import { csvRecords } from './connectors/csv-reader.js';

/** An upload's bytes: a file store's stream, or anything else that yields chunks. */
export type UploadContent = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

export interface Upload {
  /** The table's columns the header names, in the header's order. */
  columns: Column[];
  /** The rows as the columns' values, `batchSize` at a time; rejects at the first bad line, naming it. */
  batches: AsyncGenerator<Row[]>;
  /** Stops reading the file, for when its rows are not all read. */
  close(): Promise<void>;
}

export interface UploadOptions {
  batchSize: number;
  /** False for stores without column types (CSV): values are taken as text. */
  checkTypes: boolean;
  signal?: AbortSignal;
}

/**
 * Opens an uploaded CSV (comma-separated, UTF-8, a header row naming columns of `table`) and checks its
 * header. The rows stream: memory holds a batch and Papa Parse's chunks. Lines are counted as in a text
 * editor, the header being line 1, even when quoted values span lines.
 */
export async function openUpload(content: UploadContent, table: { name: string; columns: Column[] }, options: UploadOptions): Promise<Upload> {
  const input = Readable.from(utf8(content));
  const parts = lines(csvRecords(input, { what: 'the uploaded file', delimiter: ',', skipEmptyLines: false, signal: options.signal }));
  try {
    const first = await parts.next();
    if (first.done) throw new ConnectorError('The file is empty: its first line must be a header naming the columns');
    const columns = matchHeader(first.value.rows[0], table);
    const types = options.checkTypes ? columns : columns.map((c) => ({ ...c, type: 'text' as const }));
    const rest = { rows: first.value.rows.slice(1), lines: first.value.lines.slice(1) };
    return { columns, batches: batches(rest, parts, types, options.batchSize), close: async () => void (await parts.return(undefined)) };
  } catch (error) {
    await parts.return(undefined);
    throw error;
  }
}

async function* utf8(content: UploadContent): AsyncGenerator<string> {
  // fatal: a file in another encoding is refused rather than imported garbled. A BOM is dropped.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (bytes?: Uint8Array) => {
    try {
      return decoder.decode(bytes, { stream: bytes !== undefined });
    } catch {
      throw new ConnectorError('The file is not UTF-8 text');
    }
  };
  for await (const chunk of content) yield typeof chunk === 'string' ? chunk : decode(chunk);
  yield decode();
}

/** Rows and the line each starts on, a parser's chunk at a time (not a row at a time: that costs seconds per million). */
type Part = { rows: string[][]; lines: number[] };

async function* lines(chunks: AsyncGenerator<{ rows: string[][]; error?: { row: number; message: string } }>): AsyncGenerator<Part> {
  let line = 1;
  for await (const { rows, error } of chunks) {
    const part: Part = { rows: [], lines: [] };
    const end = error ? Math.min(error.row, rows.length) : rows.length;
    for (let i = 0; i < end; i++) {
      const fields = rows[i];
      // Blank lines are skipped, as in CSV sources.
      if (fields.length > 1 || fields[0] !== '') {
        part.rows.push(fields);
        part.lines.push(line);
      }
      line++;
      for (const field of fields) for (let j = field.indexOf('\n'); j >= 0; j = field.indexOf('\n', j + 1)) line++;
    }
    // The rows before a syntax error are checked first: the first bad line is the one reported.
    if (part.rows.length) yield part;
    if (error) throw new ConnectorError(`Line ${line}: invalid CSV (${error.message})`);
  }
}

function matchHeader(header: string[], table: { name: string; columns: Column[] }): Column[] {
  const byName = new Map(table.columns.map((c) => [c.name.toLowerCase(), c]));
  const seen = new Set<Column>();
  return header.map((raw, i) => {
    const name = raw.trim();
    if (!name) throw new ConnectorError(`Line 1: header field ${i + 1} names no column`);
    const column = byName.get(name.toLowerCase());
    if (!column) throw new ConnectorError(`Line 1: table ${table.name} has no column "${name}" (it has ${table.columns.map((c) => c.name).join(', ')})`);
    if (seen.has(column)) throw new ConnectorError(`Line 1: column "${name}" appears twice in the header`);
    seen.add(column);
    return column;
  });
}

async function* batches(first: Part, parts: AsyncGenerator<Part>, columns: Column[], size: number): AsyncGenerator<Row[]> {
  let batch: Row[] = [];
  for (let part: Part | undefined = first; part; ) {
    for (let r = 0; r < part.rows.length; r++) {
      const fields = part.rows[r];
      const line = part.lines[r];
      if (fields.length !== columns.length) throw new ConnectorError(`Line ${line}: expected ${columns.length} fields, found ${fields.length}`);
      const row: Row = {};
      for (let i = 0; i < columns.length; i++) row[columns[i].name] = fieldValue(fields[i], columns[i], line);
      batch.push(row);
      if (batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
    const next = await parts.next();
    part = next.done ? undefined : next.value;
  }
  if (batch.length) yield batch;
}

const INTEGER = /^[-+]?\d+$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const BOOLEAN = new Map([
  ['true', true],
  ['false', false],
  ['1', true],
  ['0', false],
]);
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** A field as the value its column takes; an empty field is NULL. */
export function fieldValue(raw: string, column: Column, line: number): unknown {
  if (raw === '') return null;
  if (column.type === 'text' || column.type === 'blob') {
    if (column.maxLength && raw.length > column.maxLength) invalid(raw, column, line, `is longer than ${column.maxLength} characters`);
    return raw;
  }
  const v = raw.trim();
  switch (column.type) {
    case 'integer': {
      const n = Number(v);
      if (!INTEGER.test(v)) invalid(raw, column, line, 'is not an integer');
      // Past 2^53 as text: the database keeps every digit (or says the value is out of range).
      return Number.isSafeInteger(n) ? n : v;
    }
    case 'real':
      return NUMBER.test(v) ? Number(v) : invalid(raw, column, line, 'is not a real');
    case 'numeric':
      // Text, so no digit is lost to floating point.
      return NUMBER.test(v) ? v : invalid(raw, column, line, 'is not a numeric');
    case 'boolean':
      return BOOLEAN.get(v.toLowerCase()) ?? invalid(raw, column, line, 'is not a boolean (true, false, 1 or 0)');
    case 'date':
      return validDate(DATE.exec(v)) ? v : invalid(raw, column, line, 'is not a date (YYYY-MM-DD)');
    case 'timestamp':
      return validDate(TIMESTAMP.exec(v)) ? v : invalid(raw, column, line, 'is not a timestamp (YYYY-MM-DD hh:mm:ss)');
  }
}

function invalid(raw: string, column: Column, line: number, what: string): never {
  const shown = raw.length > 100 ? `${raw.slice(0, 100)}…` : raw;
  throw new ConnectorError(`Line ${line}, column ${column.name}: "${shown}" ${what}`);
}

function validDate(parts: RegExpExecArray | null): boolean {
  if (!parts) return false;
  const [, y, m, d, h = '0', min = '0', s = '0'] = parts;
  const days = new Date(Date.UTC(Number(y), Number(m), 0)).getUTCDate();
  return Number(m) >= 1 && Number(m) <= 12 && Number(d) >= 1 && Number(d) <= days && Number(h) < 24 && Number(min) < 60 && Number(s) < 60;
}
