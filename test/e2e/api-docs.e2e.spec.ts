import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Harness } from './app.harness.js';

const V2 = '/api.rsc/v2';

type Schema = { $ref?: string; type?: string; properties?: Record<string, Schema>; items?: Schema; additionalProperties?: unknown };
type Spec = {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { example?: unknown; examples?: Record<string, { value: unknown }> }> }; responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>>;
  components: { schemas: Record<string, Schema> };
};

/** Where the answer and the documented schema disagree: fields the route returns but the schema lacks, and the reverse. */
function mismatches(spec: Spec, schema: Schema, value: unknown, path = ''): string[] {
  const resolved = schema.$ref ? spec.components.schemas[schema.$ref.split('/').pop()!] : schema;
  if (Array.isArray(value)) return value.length && resolved.items ? mismatches(spec, resolved.items, value[0], `${path}[0]`) : [];
  if (value === null || typeof value !== 'object' || resolved.additionalProperties) return [];
  const documented = Object.keys(resolved.properties ?? {});
  const returned = Object.keys(value);
  return [
    ...returned.filter((k) => !documented.includes(k)).map((k) => `${path}${k}: returned, not documented`),
    ...documented.filter((k) => !returned.includes(k)).map((k) => `${path}${k}: documented, not returned`),
    ...returned
      .filter((k) => documented.includes(k))
      .flatMap((k) => mismatches(spec, resolved.properties![k], (value as Record<string, unknown>)[k], `${path}${k}.`)),
  ];
}

describe('the OpenAPI document at /docs-json (e2e)', () => {
  let h: Harness;
  let spec: Spec;
  let files: string;

  beforeAll(async () => {
    h = await new Harness().start();
    spec = (await h.get('/docs-json').expect(200)).body;
    files = mkdtempSync(join(tmpdir(), 'sluice-docs-files-'));
    mkdirSync(files, { recursive: true });
    writeFileSync(join(files, 'accounts.csv'), 'id,name\n1,Alice\n2,Bob\n');
  });
  afterAll(async () => {
    await h.destroy();
    rmSync(files, { recursive: true, force: true });
  });

  it("sends Swagger's own example for POST /jobs unchanged, and gets 201", async () => {
    const content = spec.paths['/api.rsc/v2/workspaces/{workspace_id}/jobs'].post.requestBody!.content['application/json'];
    const example = content.example ?? Object.values(content.examples ?? {})[0]?.value;
    expect(example).toBeDefined();
    const res = await h.post(`${V2}/workspaces/default/jobs`, example as object);
    expect(res.body).toMatchObject({ name: (example as { name: string }).name });
    expect(res.status).toBe(201);
  });

  it('documents every field that the job, task, connection, run and history routes return', async () => {
    const src = await h.connection('docs', 'files', 'csv', { path: files });
    const dst = await h.connection('docs', 'warehouse', 'sqlite', { path: join(files, 'warehouse.db') });
    const { job, run } = await h.runJob('docs', {
      name: 'documented',
      source_connection_id: src,
      destination_connection_id: dst,
      cdc_engine_settings: { name: 'pg' },
      queries: ['REPLICATE [Accounts] SELECT * FROM [accounts]'],
    });
    expect(run.status).toBe('succeeded');
    const answers: Array<[string, string]> = [
      ['/api.rsc/v2/jobs/{job_id}', `${V2}/jobs/${job.id}`],
      ['/api.rsc/v2/jobs/{job_id}/tasks/{task_id}', `${V2}/jobs/${job.id}/tasks/${job.tasks[0].id}`],
      ['/api.rsc/v2/connections/{id}', `${V2}/connections/${src}`],
      ['/v1/runs/{run_id}', `/v1/runs/${run.id}`],
      ['/api.rsc/v2/jobs/{job_id}/history/{history_id}', `${V2}/jobs/${job.id}/history/${run.id}`],
    ];
    for (const [route, url] of answers) {
      const answer = (await h.get(url).expect(200)).body;
      const schema = spec.paths[route].get.responses['200'].content!['application/json'].schema;
      expect({ route, mismatches: mismatches(spec, schema, answer) }).toEqual({ route, mismatches: [] });
    }
  });

  it('resolves every $ref it uses', () => {
    const refs = [...JSON.stringify(spec).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter((name) => !(name in spec.components.schemas))).toEqual([]);
  });

  it('lists 409 for every DELETE route', () => {
    const deletes = Object.entries(spec.paths).filter(([, ops]) => ops.delete);
    expect(deletes.length).toBeGreaterThan(0);
    for (const [path, ops] of deletes) expect({ path, has409: '409' in ops.delete.responses }).toEqual({ path, has409: true });
  });

  it('lists application/edn beside application/json for request bodies and answers, and 413/415 for bodies', () => {
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        // A file upload (Prisma's) is a form; every other body is JSON or EDN.
        if (op.requestBody && 'multipart/form-data' in op.requestBody.content) {
          expect({ where, types: Object.keys(op.requestBody.content) }).toEqual({ where, types: ['multipart/form-data'] });
          expect({ where, statuses: ['413'].filter((s) => s in op.responses) }).toEqual({ where, statuses: ['413'] });
        } else if (op.requestBody) {
          expect({ where, types: Object.keys(op.requestBody.content) }).toEqual({ where, types: ['application/json', 'application/edn'] });
          expect({ where, statuses: ['413', '415'].filter((s) => s in op.responses) }).toEqual({ where, statuses: ['413', '415'] });
        }
        for (const [status, response] of Object.entries(op.responses)) {
          if (response.content?.['application/json']) expect({ where, status, edn: 'application/edn' in response.content }).toEqual({ where, status, edn: true });
        }
      }
    }
  });
});
