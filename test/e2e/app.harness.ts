import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createApp } from '../../src/app.js';
import { loadSettings } from '../../src/config/settings.js';

export const TOKEN = 'test-admin-token';

/** The real app on a temp data dir (embedded stores), with a supertest agent that sends the admin token. */
export class Harness {
  app!: INestApplication;
  readonly dataDir: string;

  constructor(dataDir?: string) {
    this.dataDir = dataDir ?? mkdtempSync(join(tmpdir(), 'sluice-e2e-'));
  }

  async start(env: Record<string, string> = {}): Promise<this> {
    const settings = loadSettings({ SLUICE_DATA_DIR: this.dataDir, SLUICE_ADMIN_TOKEN: TOKEN, ...env });
    this.app = await createApp(settings, { logger: false });
    await this.app.init();
    return this;
  }

  async stop(): Promise<void> {
    await this.app?.close();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
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

  async events(stream: string) {
    const res = await this.get(`/v1/streams/${stream}/events?limit=1000`);
    return res.status === 404 ? [] : (res.body.events as Array<{ type: string; data: Record<string, unknown> }>);
  }
}
