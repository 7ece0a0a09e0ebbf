import { CronExpressionParser } from 'cron-parser';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';

/** A data store declared in the config file: a Jitsu destination's `datasource` or a source's `config`. */
export interface DeclaredStore {
  kind: 'csv' | 'sqlite' | 'postgres';
  settings: Record<string, string | number>;
}

export interface DeclaredCollection {
  name: string;
  tableName: string;
  /** exactly one */
  table?: string;
  query?: string;
  schedule?: string;
}

export interface DeclaredSource extends DeclaredStore {
  id: string;
  destinations: string[];
  collections: DeclaredCollection[];
}

export interface DeclaredConfig {
  file: string;
  adminToken?: string;
  destinations: Record<string, DeclaredStore>;
  sources: Record<string, DeclaredSource>;
}

const KINDS = ['csv', 'sqlite', 'postgres'] as const;
const MAX_BYTES = 1024 * 1024;
const ID = /^[A-Za-z0-9_-]{1,100}$/;
const JITSU_POSTGRES = ['host', 'port', 'db', 'username', 'password', 'schema', 'parameters'];

type Path = (string | number)[];
type Mapping = Record<string, unknown>;

class PathError extends Error {
  constructor(
    readonly path: Path,
    message: string,
  ) {
    super(message);
  }
}

/** SLUICE_CONFIG (which must exist), else ./sluice.yaml when present, else no config file. */
export function loadConfigFile(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): DeclaredConfig | undefined {
  const named = env.SLUICE_CONFIG;
  const file = named ? resolve(cwd, named) : join(cwd, 'sluice.yaml');
  if (!existsSync(file)) {
    if (named) throw new Error(`${file}: no such file (named by SLUICE_CONFIG)`);
    return undefined;
  }
  return parseConfig(readText(file), file);
}

function readText(file: string): string {
  try {
    // The size is checked first so that a huge file is never read whole.
    if (statSync(file).size <= MAX_BYTES) return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: cannot be read (${(error as Error).message})`);
  }
  throw new Error(`${file}: the config file is larger than 1 MB`);
}

export function parseConfig(text: string, file: string): DeclaredConfig {
  if (Buffer.byteLength(text) > MAX_BYTES) throw new Error(`${file}: the config file is larger than 1 MB`);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const at = syntax.linePos?.[0];
    // Only the first sentence: yaml appends a snippet of the file, which may hold a password.
    throw new Error(`${file}: ${at ? `line ${at.line}, column ${at.col}: ` : ''}${syntax.message.split(' at line ')[0]}`);
  }
  try {
    return declare(doc.toJS() ?? {}, file);
  } catch (error) {
    if (!(error instanceof PathError)) throw new Error(`${file}: ${(error as Error).message}`);
    const node = doc.getIn(error.path, true) as { range?: [number, number, number] } | undefined;
    // A node reached through an alias or a merge key has no place of its own; its path still names it.
    const line = node?.range ? ` (line ${lineCounter.linePos(node.range[0]).line})` : '';
    throw new Error(`${file}: ${error.path.length ? `${formatPath(error.path)}: ` : ''}${error.message}${line}`);
  }
}

function declare(root: unknown, file: string): DeclaredConfig {
  // Other top-level sections of a Jitsu file (api, log, geo, meta, ...) are not Sluice's business.
  const top = mapping(root, []);
  const server = top.server == null ? {} : mapping(top.server, ['server']);
  if (server.admin_token !== undefined && (typeof server.admin_token !== 'string' || !server.admin_token.trim())) {
    fail(['server', 'admin_token'], 'must be a non-empty string');
  }
  const destinations = Object.fromEntries(ids(top.destinations, 'destinations').map(([id, value]) => [id, destination(value, ['destinations', id])]));
  const sources = Object.fromEntries(ids(top.sources, 'sources').map(([id, value]) => [id, source(id, value, new Set(Object.keys(destinations)))]));
  checkJobNames(Object.values(sources));
  return { file, ...(server.admin_token !== undefined && { adminToken: server.admin_token as string }), destinations, sources };
}

function ids(value: unknown, section: string): [string, unknown][] {
  const entries = value == null ? [] : Object.entries(mapping(value, [section]));
  for (const [id] of entries) if (!ID.test(id)) fail([section, id], 'id must be 1-100 characters of A-Z a-z 0-9 _ -');
  return entries;
}

function destination(value: unknown, path: Path): DeclaredStore {
  const node = mapping(value, path);
  onlyKeys(node, ['type', 'datasource'], path);
  const kind = kindOf(node.type, [...path, 'type']);
  return { kind, settings: settingsOf(kind, node.datasource, [...path, 'datasource']) };
}

function source(id: string, value: unknown, declared: Set<string>): DeclaredSource {
  const path = ['sources', id];
  const node = mapping(value, path);
  if (node.schedule !== undefined) fail([...path, 'schedule'], 'unknown key: a schedule belongs on each collection');
  onlyKeys(node, ['type', 'config', 'destinations', 'collections'], path);
  const kind = kindOf(node.type, [...path, 'type']);
  const settings = settingsOf(kind, node.config, [...path, 'config']);
  return { id, kind, settings, destinations: destinationIds(node.destinations, [...path, 'destinations'], declared), collections: collections(id, node.collections, [...path, 'collections']) };
}

function kindOf(value: unknown, path: Path): DeclaredStore['kind'] {
  if (!KINDS.includes(value as DeclaredStore['kind'])) fail(path, `must be one of ${KINDS.join(', ')}, not ${describe(value)}`);
  return value as DeclaredStore['kind'];
}

function settingsOf(kind: DeclaredStore['kind'], value: unknown, path: Path): Record<string, string | number> {
  const node = mapping(value, path);
  const settings = kind === 'postgres' ? postgres(node, path) : node;
  const needed = kind === 'postgres' ? 'url' : 'path';
  if (settings[needed] === undefined) fail(path, kind === 'postgres' ? 'needs url, or host and db' : 'needs path');
  if (typeof settings[needed] !== 'string' || !settings[needed]) fail([...path, needed], 'must be a non-empty string');
  for (const [key, setting] of Object.entries(settings)) {
    if (typeof setting !== 'string' && !Number.isFinite(setting)) fail([...path, key], `must be a string or a number, not ${describe(setting)}`);
  }
  return settings as Record<string, string | number>;
}

/** Jitsu's {host, port, db, username, password, parameters} become the one url the postgres connector takes. */
function postgres(node: Mapping, path: Path): Mapping {
  const given = JITSU_POSTGRES.filter((key) => node[key] !== undefined);
  if (!given.length) return node;
  if (node.url !== undefined) fail([...path, given[0]], 'give either url or host/port/db/username/password, not both');
  const { host, port, db, username, password, schema, parameters, ...rest } = node;
  const part = (value: unknown, key: string) => {
    if (value === undefined) return undefined;
    if ((typeof value !== 'string' && !Number.isFinite(value)) || value === '') fail([...path, key], 'must be a non-empty string or a number');
    return String(value);
  };
  const [hostText, dbText, user, secret] = [part(host, 'host'), part(db, 'db'), part(username, 'username'), part(password, 'password')];
  if (!hostText || !dbText) fail(path, 'needs url, or host and db');
  if (secret !== undefined && user === undefined) fail([...path, 'password'], 'needs username');
  if (port !== undefined && !(Number.isInteger(Number(port)) && Number(port) >= 1 && Number(port) <= 65535)) fail([...path, 'port'], 'must be a port number (1-65535)');
  if (schema !== undefined && schema !== 'public') fail([...path, 'schema'], 'is not supported (only public): tables are found through the user\'s search_path');
  const query = parameters === undefined ? '' : `?${new URLSearchParams(scalars(parameters, [...path, 'parameters']))}`;
  const auth = user === undefined ? '' : `${encodeURIComponent(user)}${secret === undefined ? '' : `:${encodeURIComponent(secret)}`}@`;
  const hostPart = hostText.includes(':') && !hostText.startsWith('[') ? `[${hostText}]` : hostText;
  return { ...rest, url: `postgresql://${auth}${hostPart}${port === undefined ? '' : `:${Number(port)}`}/${encodeURIComponent(dbText)}${query}` };
}

function scalars(value: unknown, path: Path): Record<string, string> {
  const node = mapping(value, path);
  for (const [key, item] of Object.entries(node)) {
    if (typeof item !== 'string' && !Number.isFinite(item)) fail([...path, key], `must be a string or a number, not ${describe(item)}`);
  }
  return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, String(item)]));
}

function destinationIds(value: unknown, path: Path, declared: Set<string>): string[] {
  const list = nonEmptyList(value, path, 'needs at least one destination');
  list.forEach((item, i) => {
    if (typeof item !== 'string') fail([...path, i], `must be a destination id, not ${describe(item)}`);
    if (!declared.has(item)) fail([...path, i], `"${item}" is not declared under destinations`);
    if (list.indexOf(item) !== i) fail([...path, i], `"${item}" is listed twice`);
  });
  return list as string[];
}

function collections(sourceId: string, value: unknown, path: Path): DeclaredCollection[] {
  const list = nonEmptyList(value, path, 'needs at least one collection').map((item, i) => collection(sourceId, item, [...path, i]));
  list.forEach(({ name }, i) => {
    const first = list.findIndex((other) => other.name === name);
    if (first !== i) fail([...path, i], `collection name "${name}" is also used by ${formatPath([...path, first])}`);
  });
  return list;
}

function collection(sourceId: string, value: unknown, path: Path): DeclaredCollection {
  // Jitsu allows a collection given by its name alone.
  const node: Mapping = typeof value === 'string' ? { name: value } : mapping(value, path);
  onlyKeys(node, ['name', 'table_name', 'parameters', 'schedule'], path);
  const name = node.name;
  const namePath = typeof value === 'string' ? path : [...path, 'name'];
  if (typeof name !== 'string' || !ID.test(name)) fail(namePath, `must be 1-100 characters of A-Z a-z 0-9 _ -, not ${describe(name)}`);
  const tableName = node.table_name === undefined ? `${sourceId}_${name}` : tableText(node.table_name, [...path, 'table_name']);
  const schedule = node.schedule === undefined ? undefined : cron(node.schedule, [...path, 'schedule']);
  return { name, tableName, ...parametersOf(node.parameters, [...path, 'parameters'], name), ...(schedule !== undefined && { schedule }) };
}

function parametersOf(value: unknown, path: Path, name: string): { table: string } | { query: string } {
  if (value === undefined) return { table: name };
  const node = mapping(value, path);
  onlyKeys(node, ['table', 'query'], path);
  if ((node.table === undefined) === (node.query === undefined)) fail(path, 'needs exactly one of table or query');
  if (node.table !== undefined) return { table: tableText(node.table, [...path, 'table']) };
  if (typeof node.query !== 'string' || !node.query.trim() || node.query.length > 10_000) fail([...path, 'query'], 'must be a non-empty string of at most 10000 characters');
  return { query: node.query };
}

function tableText(value: unknown, path: Path): string {
  // A "]" would close the bracketed name in the task query (`REPLICATE [t] SELECT * FROM [t]`).
  if (typeof value !== 'string' || !value.trim() || value.length > 200 || value.includes(']')) {
    fail(path, `must be a non-empty string of at most 200 characters without "]", not ${describe(value)}`);
  }
  return value;
}

function cron(value: unknown, path: Path): string {
  if (typeof value !== 'string') fail(path, `must be a cron expression, not ${describe(value)}`);
  // cron-parser itself accepts fewer fields and @aliases; the jobs' own schedules take five fields or six.
  const fields = value.trim().split(/\s+/).length;
  let reason = fields === 5 || fields === 6 ? undefined : `${fields} fields; expected 5, or 6 with seconds first`;
  try {
    if (!reason) CronExpressionParser.parse(value.replaceAll('?', '*'));
  } catch (error) {
    reason = (error as Error).message;
  }
  if (reason) fail(path, `"${value}" is not a valid cron expression (${reason})`);
  return value;
}

function checkJobNames(sources: DeclaredSource[]): void {
  // <source>_<collection> is the job's name and the prefix of its Jitsu task ids, so it must name one pair.
  const seen = new Map<string, Path>();
  for (const source of sources) {
    source.collections.forEach(({ name }, i) => {
      const job = `${source.id}_${name}`;
      const path = ['sources', source.id, 'collections', i];
      const other = seen.get(job);
      if (other) fail(path, `job name "${job}" (<source>_<collection>) is also the job name of ${formatPath(other)}`);
      seen.set(job, path);
    });
  }
}

function mapping(value: unknown, path: Path): Mapping {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, `must be a mapping, not ${describe(value)}`);
  return value as Mapping;
}

function nonEmptyList(value: unknown, path: Path, missing: string): unknown[] {
  if (value === undefined || (Array.isArray(value) && !value.length)) fail(path, missing);
  if (!Array.isArray(value)) fail(path, `must be a list, not ${describe(value)}`);
  return value;
}

function onlyKeys(node: Mapping, known: string[], path: Path): void {
  for (const key of Object.keys(node)) if (!known.includes(key)) fail([...path, key], `unknown key (expected ${known.join(', ')})`);
}

function fail(path: Path, message: string): never {
  throw new PathError(path, message);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function formatPath(path: Path): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : /^[A-Za-z0-9_-]+$/.test(part) ? `${i ? '.' : ''}${part}` : `[${JSON.stringify(part)}]`)).join('');
}
