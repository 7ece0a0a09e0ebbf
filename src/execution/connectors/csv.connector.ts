import { existsSync, mkdirSync, readdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { tableFile } from '../../connections/connection-paths.js';
import { applyToCsvFile, csvCell } from './csv-apply.js';
import { csvChunks } from './csv-reader.js';
import { connectorLimits, type ConnectorLimits } from './limits.js';
import { matches } from './conditions.js';
import {
  type ApplyOptions,
  type Column,
  type ColumnType,
  type Connector,
  ConnectorError,
  type PrepareOptions,
  type ReadRequest,
  type Row,
  compareValues,
  missingColumns,
} from './connector.js';

const SAMPLE = 1000;

/** A directory of .csv files, one per table, each with a header row. Types are inferred from a sample. */
export class CsvConnector implements Connector {
  private readonly stop = new AbortController();

  constructor(
    private readonly dir: string,
    private readonly limits: ConnectorLimits = connectorLimits(),
  ) {}

  static open(dir: string, mustExist: boolean, limits?: ConnectorLimits): CsvConnector {
    if (mustExist && !existsSync(dir)) throw new ConnectorError(`CSV directory ${dir} does not exist`);
    return new CsvConnector(dir, limits);
  }

  private chunks(file: string, preview?: number) {
    return csvChunks(file, { preview, readTimeoutMs: this.limits.readTimeoutMs, signal: this.stop.signal });
  }

  private file(table: string): string {
    const exact = tableFile(this.dir, table, '.csv');
    if (existsSync(exact) || !existsSync(this.dir)) return exact;
    const match = readdirSync(this.dir).find((f) => f.toLowerCase() === `${table.toLowerCase()}.csv`);
    return match ? join(this.dir, match) : exact;
  }

  private existing(table: string): string {
    const file = this.file(table);
    if (!existsSync(file)) throw new ConnectorError(`Table ${table} does not exist: no file ${file}`);
    return file;
  }

  /** The header and up to `SAMPLE` rows, for the column names and their inferred types. */
  async columns(table: string): Promise<Column[]> {
    const rows: string[][] = [];
    for await (const chunk of this.chunks(this.existing(table), SAMPLE + 1)) rows.push(...chunk);
    const [header = [], ...sample] = rows;
    return header.map((name, i) => ({ name: i === 0 ? name.replace(/^\uFEFF/, '') : name, type: inferType(sample.map((r) => r[i])) }));
  }

  async *read(request: ReadRequest): AsyncIterable<Row[]> {
    const columns = await this.columns(request.table);
    const index = new Map(columns.map((c, i) => [c.name, i]));
    // The file is read twice (its header and sample, then its rows): one that changed in between says so.
    const gone = request.columns.find((c) => !index.has(c.name));
    if (gone) throw new ConnectorError(`Column ${gone.name} is no longer in ${request.table}.csv: the file changed while it was being read`);
    const picked = request.columns.map((c) => ({ as: c.as, at: index.get(c.name)!, type: columns[index.get(c.name)!].type, name: c.name }));
    const { incremental, startDate, where } = request;
    const width = columns.length;
    let batch: Row[] = [];
    let line = 0;
    let header = true;
    for await (const chunk of this.chunks(this.existing(request.table))) {
      for (const fields of chunk) {
        line++;
        if (header) {
          header = false;
          continue;
        }
        if (fields.length !== width) throw new ConnectorError(`Line ${line} of ${request.table}.csv has ${fields.length} fields; the header has ${width}`);
        let row: Row;
        if (where || incremental || startDate) {
          const all: Row = {};
          for (let i = 0; i < width; i++) all[columns[i].name] = convert(fields[i], columns[i].type, columns[i].name, line, request.table);
          if (where && !matches(where, all)) continue;
          if (incremental && incremental.after !== null && incremental.after !== undefined && !(compareValues(all[incremental.column], incremental.after) > 0)) continue;
          if (startDate && !(all[startDate.column] !== null && String(all[startDate.column]) >= startDate.from)) continue;
          row = {};
          for (const c of picked) row[c.as] = all[c.name];
        } else {
          row = {};
          for (const c of picked) row[c.as] = convert(fields[c.at], c.type, c.name, line, request.table);
        }
        batch.push(row);
        if (batch.length >= request.batchSize) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length) yield batch;
  }

  async prepare(table: string, columns: Column[], options: PrepareOptions) {
    mkdirSync(this.dir, { recursive: true });
    const file = this.file(table);
    if (!existsSync(file) || options.drop || options.truncate) {
      writeFileSync(file, stringify([columns.map((c) => c.name)]));
      return { columns, primaryKey: [] };
    }
    const existing = (await this.columns(table)).map((c) => ({ ...c, type: 'text' as ColumnType }));
    const missing = missingColumns(columns, existing);
    if (missing.length) {
      throw new ConnectorError(
        `Destination file ${file} has no column ${missing.map((c) => c.name).join(', ')}; enable Drop_Table or Truncate_Table_Data to rewrite it with the new columns`,
      );
    }
    return { columns: existing, primaryKey: [] };
  }

  async write(table: string, columns: Column[], rows: Row[]): Promise<void> {
    const names = columns.map((c) => c.name);
    // One append per batch; CSV files have no keys, so rows are appended, never upserted.
    appendFileSync(this.file(table), stringify(rows.map((r) => names.map((n) => csvCell(r[n])))));
  }

  /** Rewrites the file beside it and renames it over it: all of `batches` or, on any failure, nothing. */
  async applyAll(table: string, columns: Column[], batches: AsyncIterable<Row[]>, options: ApplyOptions) {
    const file = this.existing(table);
    return applyToCsvFile(file, columns, batches, options, (preview) => this.chunks(file, preview));
  }

  /** Stops the file stream being read; writes are one synchronous append per batch, so they end by themselves. */
  interrupt(): void {
    this.stop.abort('interrupted');
  }

  async close(): Promise<void> {}
}

function inferType(values: string[]): ColumnType {
  const present = values.filter((v) => v !== '' && v !== undefined);
  if (present.length === 0) return 'text';
  if (present.every((v) => /^-?\d{1,15}$/.test(v))) return 'integer';
  if (present.every((v) => /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v))) return 'real';
  if (present.every((v) => /^(true|false)$/i.test(v))) return 'boolean';
  if (present.every((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))) return 'date';
  if (present.every((v) => /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(v))) return 'timestamp';
  return 'text';
}

function convert(raw: string, type: ColumnType, column: string, line: number, table: string): unknown {
  if (raw === '') return null;
  switch (type) {
    case 'integer':
    case 'real': {
      const n = Number(raw);
      if (Number.isNaN(n) || (type === 'integer' && !Number.isInteger(n))) {
        throw new ConnectorError(`Line ${line} of ${table}.csv: column ${column} is "${raw}", not ${type === 'integer' ? 'an integer' : 'a number'} like the rows before it`);
      }
      return n;
    }
    case 'boolean':
      if (!/^(true|false)$/i.test(raw)) throw new ConnectorError(`Line ${line} of ${table}.csv: column ${column} is "${raw}", not true or false`);
      return raw.toLowerCase() === 'true';
    default:
      return raw;
  }
}
