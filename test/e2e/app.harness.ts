import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import superagent from 'superagent';
import request from 'supertest';
import { createApp } from '../../src/app.js';
import { loadSettings } from '../../src/config/settings.js';

export const TOKEN = 'test-admin-token';

// A live tail never ends: supertest answers a request to one at its headers instead of waiting for its end
// (and the app listens, so supertest does not wait for the connection to close either).
superagent.parse['text/event-stream'] = (_res, done) => done(null, {} as never);

/** The real app on a temp data dir (embedded stores), with a supertest agent that sends the admin token. */
export class Harness {
  app!: INestApplication;
  readonly dataDir: string;
  /** Where tests keep the files their connections read and write: beside the data dir, since no connection may reach into it. */
  readonly files: string;

  constructor(dataDir?: string) {
    this.dataDir = dataDir ?? mkdtempSync(join(tmpdir(), 'sluice-e2e-'));
    this.files = `${this.dataDir}-files`;
    mkdirSync(this.files, { recursive: true });
  }

  async start(env: Record<string, string> = {}): Promise<this> {
    const settings = loadSettings({ SLUICE_DATA_DIR: this.dataDir, SLUICE_ADMIN_TOKEN: TOKEN, ...env });
    this.app = await createApp(settings, { logger: false });
    await this.app.listen(0, '127.0.0.1');
    return this;
  }

  /** Where the app listens, for clients other than supertest (e.g. a live tail's). */
  get url(): string {
    return `http://127.0.0.1:${(this.app.getHttpServer().address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await this.app?.close();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
    rmSync(this.files, { recursive: true, force: true });
  }

  /** An unauthenticated request. */
  raw() {
    return request(this.app.getHttpServer());
  }

  get(path: string) {
    return this.raw().get(path).set('x-cdata-authtoken', TOKEN);
  }
  post(path: string, body?: object) {
    return this.raw().post(path).set('x-cdata-authtoken', TOKEN).send(body);
  }
  put(path: string, body?: object) {
    return this.raw().put(path).set('x-cdata-authtoken', TOKEN).send(body);
  }
  delete(path: string) {
    return this.raw().delete(path).set('x-cdata-authtoken', TOKEN);
  }

  async connection(workspace: string, name: string, kind = 'csv', settings: object = { path: `/tmp/${name}` }) {
    const res = await this.post(`/api.rsc/v2/workspaces/${workspace}/connections`, { name, kind, settings }).expect(201);
    return res.body.id as string;
  }

  /** Polls a run until it reaches one of `statuses` (default: any final status) and answers it. */
  async waitForRun(jobId: string, runId: string, statuses = ['succeeded', 'failed', 'cancelled'], timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.get(`/api.rsc/v2/jobs/${jobId}/history/${runId}`);
      if (res.status === 200 && statuses.includes(res.body.status)) return res.body;
      if (Date.now() > deadline) throw new Error(`Run ${runId} did not reach ${statuses.join('/')} (last: ${JSON.stringify(res.body)})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Creates a job and runs it to the end. */
  async runJob(workspace: string, body: object) {
    const job = (await this.post(`/api.rsc/v2/workspaces/${workspace}/jobs`, body).expect(201)).body;
    const run = (await this.post(`/api.rsc/v2/jobs/${job.id}/execute`, {}).expect(202)).body;
    return { job, run: await this.waitForRun(job.id, run.id) };
  }

  async events(stream: string) {
    const res = await this.get(`/v1/streams/${stream}/events?limit=1000`);
    return res.status === 404 ? [] : (res.body.events as Array<{ type: string; data: Record<string, unknown> }>);
  }
}
