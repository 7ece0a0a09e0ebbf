import { createReadStream, existsSync, mkdirSync, readdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import { matches } from './conditions.js';
import {
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
  constructor(private readonly dir: string) {}

  static open(dir: string, mustExist: boolean): CsvConnector {
    if (mustExist && !existsSync(dir)) throw new ConnectorError(`CSV directory ${dir} does not exist`);
    return new CsvConnector(dir);
  }

  private file(table: string): string {
    const exact = join(this.dir, `${table}.csv`);
    if (existsSync(exact) || !existsSync(this.dir)) return exact;
    const match = readdirSync(this.dir).find((f) => f.toLowerCase() === `${table.toLowerCase()}.csv`);
    return match ? join(this.dir, match) : exact;
  }

  private records(table: string) {
    const file = this.file(table);
    if (!existsSync(file)) throw new ConnectorError(`Table ${table} does not exist: no file ${file}`);
    return createReadStream(file).pipe(parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: false }));
  }

  async columns(table: string): Promise<Column[]> {
    const sample: Row[] = [];
    const records = this.records(table);
    for await (const record of records) {
      sample.push(record);
      if (sample.length >= SAMPLE) break;
    }
    records.destroy();
    const header = sample.length ? Object.keys(sample[0]) : await this.header(table);
    return header.map((name) => ({ name, type: inferType(sample.map((r) => r[name] as string)) }));
  }

  private async header(table: string): Promise<string[]> {
    const records = this.file(table);
    for await (const row of createReadStream(records).pipe(parse({ bom: true, to_line: 1 }))) return row as string[];
    return [];
  }

  async *read(request: ReadRequest): AsyncIterable<Row[]> {
    const types = new Map((await this.columns(request.table)).map((c) => [c.name, c.type]));
    const { incremental, startDate, where } = request;
    let batch: Row[] = [];
    let line = 1;
    for await (const record of this.records(request.table)) {
      line++;
      const row: Row = {};
      for (const [name, raw] of Object.entries(record as Record<string, string>)) row[name] = convert(raw, types.get(name)!, name, line, request.table);
      if (where && !matches(where, row)) continue;
      if (incremental && incremental.after !== null && incremental.after !== undefined && !(compareValues(row[incremental.column], incremental.after) > 0)) continue;
      if (startDate && !(row[startDate.column] !== null && String(row[startDate.column]) >= startDate.from)) continue;
      const out: Row = {};
      for (const c of request.columns) out[c.as] = row[c.name];
      batch.push(out);
      if (batch.length >= request.batchSize) {
        yield batch;
        batch = [];
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
    const existing = (await this.header(table)).map((name) => ({ name, type: 'text' as ColumnType }));
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
    appendFileSync(this.file(table), stringify(rows.map((r) => names.map((n) => cell(r[n])))));
  }

  async close(): Promise<void> {}
}

function cell(value: unknown): unknown {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && !Buffer.isBuffer(value)) return JSON.stringify(value);
  return value;
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
