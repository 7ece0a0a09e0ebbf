import { EVENT_STORE, type EventStore } from '../../src/core/event-store.js';
import { Harness, TOKEN } from './app.harness.js';

/**
 * Walks /docs-json and sends malformed variants of every operation: wrong types, nulls, NUL bytes, strings over
 * the limits, nesting 2,000 deep, unknown and prototype keys, EDN values that cannot be stored, bodies of other
 * media types, bad path and query values. The variants are enumerated, not random, so a failure repeats.
 * Each answer must be below 500; a refused one (4xx) must have appended nothing; a variant that breaks the
 * documented schema must be refused.
 */

type Schema = {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  nullable?: boolean;
  maxLength?: number;
  minimum?: number;
  example?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
};
type Parameter = { name: string; in: 'path' | 'query'; schema?: Schema };
type Operation = { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } };
type Spec = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

interface Variant {
  what: string;
  /** Appended to the URL: `?a=b`. */
  query?: string;
  /** Replaces a path parameter. */
  path?: [string, string];
  /** A JSON value, or raw text with its media type. */
  json?: unknown;
  raw?: [type: string, text: string];
  /** Breaks the documented schema: must be refused. */
  mustFail: boolean;
  /** Refused with exactly this status. */
  status?: number;
}

const DEEP = 2000;
const HUGE = 'x'.repeat(1100 * 1024);
const deepObject = (): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < DEEP; i++) value = { a: value };
  return value;
};
const rawJson = (base: Record<string, unknown>, key: string, rawValue: string) => {
  const head = JSON.stringify(base).slice(0, -1);
  return `${head}${head.length > 1 ? ',' : ''}"${key}":${rawValue}}`;
};
const edn = (value: unknown): string => {
  if (value === null) return 'nil';
  if (Array.isArray(value)) return `[${value.map(edn).join(' ')}]`;
  if (typeof value === 'object') return `{${Object.entries(value as object).map(([k, v]) => `:${k} ${edn(v)}`).join(' ')}}`;
  return JSON.stringify(value);
};

function resolve(spec: Spec, schema: Schema): Schema {
  return schema.$ref ? spec.components.schemas[schema.$ref.split('/').pop()!] : schema;
}

/** Values of another type than the schema's; each breaks it. */
function wrongTypes(schema: Schema): unknown[] {
  if (schema.enum) return ['not-one-of-them', 99, {}];
  switch (schema.type) {
    case 'string':
      return [12345, true, {}, []];
    case 'boolean':
      return ['yes', 1, {}, []];
    case 'integer':
      return ['1', 1.5, true, {}, []];
    case 'number':
      return ['1', true, {}, []];
    case 'array':
      return ['x', {}, 1, [{}], [null], schema.items?.type === 'string' ? [1] : 'y'];
    default:
      return ['x', 1, [], true];
  }
}

/** The smallest body the schema accepts: its required properties, from their examples. */
function baseBody(spec: Spec, schema: Schema, unique: string): Record<string, unknown> {
  const resolved = resolve(spec, schema);
  return Object.fromEntries(
    (resolved.required ?? []).map((name) => {
      const prop = resolve(spec, resolved.properties![name]);
      const value = name === 'name' ? unique : (prop.example ?? prop.enum?.[0] ?? (prop.type === 'object' ? { path: '/tmp/sluice-fuzz' } : 'x'));
      return [name, value];
    }),
  );
}

function bodyVariants(spec: Spec, schema: Schema, base: Record<string, unknown>): Variant[] {
  const variants: Variant[] = [
    { what: 'unknown key', json: { ...base, fuzz_unknown: 1 }, mustFail: true },
    ...['__proto__', 'constructor', 'prototype'].map((key) => ({ what: `${key} key`, raw: ['application/json', rawJson(base, key, '{"polluted":true}')] as [string, string], mustFail: true })),
    ...['[]', '"text"', '123', 'null'].map((text) => ({ what: `body ${text}`, raw: ['application/json', text] as [string, string], mustFail: true })),
    { what: 'whole body nested 2,000 deep', raw: ['application/json', '['.repeat(DEEP) + ']'.repeat(DEEP)], mustFail: true },
  ];
  const walk = (props: Record<string, Schema>, wrap: (v: unknown) => Record<string, unknown>, prefix: string) => {
    for (const [name, declared] of Object.entries(props)) {
      const prop = resolve(spec, declared);
      const at = `${prefix}${name}`;
      const send = (value: unknown) => wrap({ ...(prefix ? {} : base), [name]: value });
      for (const wrong of wrongTypes(prop)) variants.push({ what: `${at} = ${JSON.stringify(wrong)}`, json: send(wrong), mustFail: true });
      variants.push({ what: `${at} = null`, json: send(null), mustFail: !declared.nullable && !prop.nullable });
      variants.push({ what: `${at} nested 2,000 deep`, json: send(deepObject()), mustFail: true });
      variants.push({ what: `${at} with a __proto__ key`, raw: ['application/json', JSON.stringify(send({})).replace(`"${name}":{}`, `"${name}":{"__proto__":{"polluted":true}}`)], mustFail: true });
      if (prop.type === 'string' || prop.type === 'array') {
        const text = (s: string) => (prop.type === 'array' ? [s] : s);
        variants.push({ what: `${at} with a NUL byte`, json: send(text('a\u0000b')), mustFail: true });
        const long = prop.maxLength ?? prop.items?.maxLength;
        variants.push({ what: `${at} over its length limit`, json: send(text(long ? 'x'.repeat(long + 1) : HUGE)), mustFail: true });
      }
      if (!prefix) {
        variants.push({ what: `${at} = 1N (EDN)`, raw: ['application/edn', `${edn(base).slice(0, -1)} :${name} 1N}`], mustFail: true });
        variants.push({ what: `${at} = ##NaN (EDN)`, raw: ['application/edn', `${edn(base).slice(0, -1)} :${name} ##NaN}`], mustFail: true });
      }
      if (prop.properties) {
        variants.push({ what: `${at}.fuzz_unknown`, json: send({ fuzz_unknown: 1 }), mustFail: true });
        walk(prop.properties, (inner) => send(inner), `${at}.`);
      }
    }
  };
  walk(resolve(spec, schema).properties ?? {}, (v) => v as Record<string, unknown>, '');
  return variants;
}

function queryVariants(params: Parameter[]): Variant[] {
  if (!params.length) return [];
  const variants: Variant[] = ['fuzz_unknown', '__proto__', 'constructor', 'prototype'].map((key) => ({ what: `?${key}=1`, query: `?${key}=1`, mustFail: true }));
  for (const { name, schema = {} } of params) {
    const numeric = schema.type === 'integer' || schema.type === 'number';
    const values: Array<[string, boolean]> = [
      ['abc', numeric || !!schema.enum],
      ['1.5', schema.type === 'integer' || !!schema.enum],
      ['-1', numeric && (schema.minimum ?? -Infinity) >= 0],
      ['a%00b', true],
      // Node refuses request lines over 16 KB (431) before any route sees them: stay under that.
      ['x'.repeat(10_001), numeric || !!schema.enum],
    ];
    for (const [value, mustFail] of values) variants.push({ what: `?${name}=${value.slice(0, 12)}`, query: `?${name}=${value}`, mustFail });
    variants.push({ what: `?${name} twice`, query: `?${name}=1&${name}=2`, mustFail: true });
  }
  return variants;
}

function pathVariants(params: Parameter[]): Variant[] {
  return params.flatMap(({ name }) => [
    { what: `{${name}} with a NUL byte`, path: [name, 'a%00b'] as [string, string], mustFail: true },
    { what: `{${name}} of 300 characters`, path: [name, 'x'.repeat(300)] as [string, string], mustFail: true },
    { what: `{${name}} = __proto__`, path: [name, '__proto__'] as [string, string], mustFail: false },
    { what: `{${name}} = constructor`, path: [name, 'constructor'] as [string, string], mustFail: false },
  ]);
}

/** Etlworks' routes: they take a user's JWT and answer errors as `{status, error, message}`. */
const etlworks = (template: string) => template.startsWith('/etl/rest/') || template.startsWith('/rest/v1/');

/** Siren's routes: Basic or a bearer token, errors as Elasticsearch's `{error: {root_cause, type, reason}, status}`. */
const siren = (template: string) => template.startsWith('/_siren/');

/** Each dialect's error body: Jitsu's `{message, error?}`, Etlworks' `{status, error, message}`, Prisma's plain text, Siren's Elasticsearch error, everyone else's `{error: {code, message}}`. */
function inErrorShape(template: string, body: { error?: unknown; message?: unknown } | undefined, text?: string, contentType = ''): boolean {
  if (template.startsWith('/api/v1/tasks')) return typeof body?.message === 'string';
  if (etlworks(template)) return typeof (body as { status?: unknown } | undefined)?.status === 'number' && typeof body?.message === 'string';
  if (template.startsWith('/api/data-sync')) return /^text\/plain\b/.test(contentType) && !!text && !/^\s*[{<]/.test(text);
  if (siren(template)) {
    // A document that is not there is Elasticsearch's `{_id, found: false}` or `{_id, result: "not_found"}`.
    const missing = body as { found?: unknown; result?: unknown } | undefined;
    if (missing?.found === false || missing?.result === 'not_found') return true;
    const error = body?.error as { root_cause?: unknown; type?: unknown; reason?: unknown } | undefined;
    return typeof (body as { status?: unknown } | undefined)?.status === 'number' && Array.isArray(error?.root_cause) && typeof error?.type === 'string' && typeof error?.reason === 'string';
  }
  return (body?.error as { code?: string } | undefined)?.code !== undefined;
}

describe('spec-driven fuzz: every operation in /docs-json, malformed (e2e)', () => {
  let h: Harness;
  let spec: Spec;
  let store: EventStore;
  let round = 0;
  let jwt = '';

  beforeAll(async () => {
    h = await new Harness().start({ SLUICE_WORKERS: '0' });
    spec = (await h.get('/docs-json').expect(200)).body;
    store = h.app.get<EventStore>(EVENT_STORE);
    await h.post('/v1/users', { login: 'fuzz-admin', password: 'fuzz-password', roles: ['Administrator'] }).expect(201);
    jwt = (await h.raw().post('/rest/v1/token-auth/issue').send({ login: 'fuzz-admin', password: 'fuzz-password' }).expect(200)).body.token;
  });
  afterAll(() => h.destroy());

  /** Fresh resources for one operation, so a variant that deletes or cancels cannot starve the next ones. */
  async function fixtures(): Promise<Record<string, string>> {
    const workspace = `fuzz-${++round}`;
    const src = await h.connection(workspace, 'src', 'csv', { path: `/tmp/sluice-fuzz-${round}` });
    const dst = await h.connection(workspace, 'dst', 'sqlite', { path: `/tmp/sluice-fuzz-${round}.db` });
    const queries = ['REPLICATE [A] SELECT * FROM [a]', 'REPLICATE [B] SELECT * FROM [b]'];
    const jobBody = { source_connection_id: src, destination_connection_id: dst, queries };
    const job = (await h.post(`/api.rsc/v2/workspaces/${workspace}/jobs`, { name: 'idle', ...jobBody }).expect(201)).body;
    const ran = (await h.post(`/api.rsc/v2/workspaces/${workspace}/jobs`, { name: 'ran', ...jobBody }).expect(201)).body;
    const run = (await h.post(`/api.rsc/v2/jobs/${ran.id}/execute`, {}).expect(202)).body;
    const sync = (await h.post('/v1/data-syncs', { name: 'sync', kind: 'import', connection_id: dst, table: 'A' }).expect(201)).body;
    const ids = { workspace_id: workspace, id: src, job_id: job.id, task_id: job.tasks[0].id, ran_job_id: ran.id, history_id: run.id, run_id: run.id, stream: `job-${job.id}` };
    // Siren's datasource and ingestion of the same id, under the id Siren routes take.
    const sirenId = `fuzz-${round}`;
    const siren = (path: string, body: object) => h.raw().put(`/_siren/connector/${path}/${sirenId}`).set('Authorization', `Bearer ${TOKEN}`).send(body).expect(201);
    await siren('datasource', { jdbc: { url: `jdbc:sqlite:/tmp/sluice-fuzz-${round}.db` } });
    await siren('ingestion', { ingest: { datasource: sirenId, query: 'SELECT 1 AS id', target: 'fuzzed', pk_field: 'id' } });
    return { ...ids, datasync_id: sync.id, launch_id: '1', audit_id: '1', siren_id: sirenId };
  }

  it('never answers 500, appends nothing when it refuses, and refuses what breaks the schema', async () => {
    const failures: string[] = [];
    let sent = 0;
    for (const [template, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const ids = await fixtures();
        if (template.includes('{history_id}')) ids.job_id = ids.ran_job_id;
        if (siren(template)) ids.id = ids.siren_id;
        const params = operation.parameters ?? [];
        const bodySchema = operation.requestBody?.content['application/json']?.schema;
        const base = bodySchema ? baseBody(spec, bodySchema, `fuzz-name-${round}`) : undefined;
        const takesBody = !!bodySchema;
        const variants: Variant[] = [
          // What a route that takes a body answers as documented (415, 413), whichever its dialect.
          { what: 'text/plain body', raw: ['text/plain', 'hello'], mustFail: takesBody, status: takesBody ? 415 : undefined },
          { what: 'application/xml body', raw: ['application/xml', '<job/>'], mustFail: takesBody, status: takesBody ? 415 : undefined },
          { what: 'form body', raw: ['application/x-www-form-urlencoded', 'name=x'], mustFail: takesBody, status: takesBody ? 415 : undefined },
          { what: 'body over the size limit', json: { ...base, fuzz: HUGE }, mustFail: takesBody, status: takesBody ? 413 : undefined },
          ...(bodySchema ? bodyVariants(spec, bodySchema, base!) : []),
          ...queryVariants(params.filter((p) => p.in === 'query')),
          ...pathVariants(params.filter((p) => p.in === 'path')),
        ];
        for (const variant of variants) {
          const values = { ...ids, ...(variant.path ? { [variant.path[0]]: variant.path[1] } : {}) };
          const url = template.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? name) + (variant.query ?? '');
          const request = (h.raw() as unknown as Record<string, (u: string) => import('supertest').Test>)[method](url).set('x-cdata-authtoken', TOKEN).set('X-Admin-Token', TOKEN);
          if (etlworks(template)) request.set('Authorization', `Bearer ${jwt}`);
          if (siren(template)) request.set('Authorization', `Bearer ${TOKEN}`);
          if (variant.raw) request.set('content-type', variant.raw[0]).send(variant.raw[1]);
          else if (variant.json !== undefined) request.send(variant.json as object);
          else if (base) request.send(base);
          const before = await store.lastPosition();
          const res = await request;
          const after = await store.lastPosition();
          sent++;
          const where = `${method.toUpperCase()} ${template} [${variant.what}] → ${res.status}`;
          if (res.status >= 500) failures.push(`${where}: ${JSON.stringify(res.body).slice(0, 200)}`);
          else if (res.status >= 400 && after !== before) failures.push(`${where}: appended events (${before} → ${after})`);
          else if (variant.mustFail && res.status < 400) failures.push(`${where}: accepted`);
          else if (variant.status && res.status !== variant.status) failures.push(`${where}: not ${variant.status}`);
          else if (res.status >= 400 && !inErrorShape(template, res.body, res.text, res.headers['content-type'])) failures.push(`${where}: not in the error shape: ${JSON.stringify(res.body).slice(0, 200)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(1000);
  }, 120_000);
});
