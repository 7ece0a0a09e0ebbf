import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { loadSettings } from '../../src/config/settings.js';
import { openEventStore } from '../../src/infrastructure/stores.module.js';
import { Harness, TOKEN } from './app.harness.js';

const V2 = '/api.rsc/v2';
const asRoot = process.getuid?.() === 0;
if (!asRoot) console.log('store-faults e2e: the full-disk and read-only tests need root to mount a tmpfs; skipped');
const withTmpfs = asRoot ? it : it.skip;

/** A small tmpfs of its own, so filling it fills nothing else. */
function mountTmpfs(size: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  return dir;
}
function unmount(dir: string): void {
  execFileSync('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
}

/** Writes a file until the disk refuses another byte. */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const size of [256 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Sluice as its own process (the built app): what it prints, and how it ends. */
function spawnSluice(dataDir: string, port: number) {
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: { ...process.env, SLUICE_DATA_DIR: dataDir, SLUICE_ADMIN_TOKEN: TOKEN, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('store faults the operator can see (e2e)', () => {
  beforeAll(() => {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'ignore' });
  }, 120_000);

  withTmpfs('a process on a disk that fills up keeps running and answering, and writes again once space is freed', async () => {
    const disk = mountTmpfs('4m');
    const port = await freePort();
    const sluice = spawnSluice(join(disk, 'data'), port);
    const url = `http://127.0.0.1:${port}`;
    const api = (method: 'get' | 'post', path: string, body?: object) => request(url)[method](path).set('x-cdata-authtoken', TOKEN).send(body);
    try {
      for (let i = 0; i < 200 && !(await request(url).get('/health').then((r) => r.status === 200, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
      const job = (await api('post', `${V2}/workspaces/full/jobs`, { name: 'before' }).expect(201)).body;
      fill(join(disk, 'filler'));
      await api('post', `${V2}/workspaces/full/jobs`, { name: 'after' }).expect(507);
      // Long enough for the workers' heartbeat and the projections to try their own writes on the full disk.
      await new Promise((r) => setTimeout(r, 6500));
      expect(sluice.child.exitCode).toBeNull();
      await request(url).get('/health').expect(503);
      await api('get', `${V2}/jobs/${job.id}`).expect(200);
      rmSync(join(disk, 'filler'));
      await api('post', `${V2}/workspaces/full/jobs`, { name: 'after' }).expect(201);
      expect(sluice.output()).toMatch(/The event store cannot write: no space left on device/);
    } finally {
      sluice.child.kill('SIGKILL');
      await sluice.exited;
      unmount(disk);
    }
  }, 60_000);

  withTmpfs('a process on a read-only data dir stops once, saying which dir', async () => {
    const disk = mountTmpfs('4m');
    try {
      mkdirSync(join(disk, 'data'));
      execFileSync('mount', ['-o', 'remount,ro', disk]);
      const sluice = spawnSluice(join(disk, 'data'), await freePort());
      expect(await sluice.exited).toBe(1);
      expect(sluice.output()).toContain(`The data dir ${join(disk, 'data')} (SLUICE_DATA_DIR) cannot be written`);
    } finally {
      unmount(disk);
    }
  }, 30_000);

  withTmpfs('a full disk: writes answer 507 saying so, /health names the store, reads answer, and writes work once space is freed', async () => {
    const disk = mountTmpfs('4m');
    const h = new Harness(join(disk, 'data'));
    try {
      await h.start();
      const job = (await h.post(`${V2}/workspaces/full/jobs`, { name: 'before' }).expect(201)).body;
      fill(join(disk, 'filler'));

      const refused = await h.post(`${V2}/workspaces/full/jobs`, { name: 'after' }).expect(507);
      expect(refused.body.error).toMatchObject({ code: 'STORE.FULL', message: expect.stringContaining('no space left on device') });
      expect(refused.body.error.message).toContain(join(disk, 'data', 'events.db'));
      const health = await h.raw().get('/health').expect(503);
      expect(health.body.error.eventStore).toMatchObject({ status: 'down', message: expect.stringMatching(/event store cannot write: no space left on device/) });
      expect((await h.get(`${V2}/jobs/${job.id}`).expect(200)).body.name).toBe('before');
      await h.get(`${V2}/workspaces/full/jobs`).expect(200);

      rmSync(join(disk, 'filler'));
      // Projections that stalled on the full read store retry with a backoff (and group commit may have left
      // them an event to apply after the disk filled): health comes back once they have caught up.
      const deadline = Date.now() + 10_000;
      while ((await h.raw().get('/health')).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await h.raw().get('/health').expect(200);
      await h.post(`${V2}/workspaces/full/jobs`, { name: 'after' }).expect(201);
      expect((await h.get(`${V2}/workspaces/full/jobs`).expect(200)).body.value.map((j: { name: string }) => j.name)).toEqual(['before', 'after']);
    } finally {
      await h.stop();
      unmount(disk);
    }
  });

  withTmpfs('a full disk at start-up stops it once, naming the store file and the reason', async () => {
    const disk = mountTmpfs('4m');
    const h = new Harness(join(disk, 'data'));
    try {
      await h.start();
      await h.post(`${V2}/workspaces/full/jobs`, { name: 'kept' }).expect(201);
      await h.stop();
      fill(join(disk, 'filler'));
      const settings = loadSettings({ SLUICE_DATA_DIR: h.dataDir, SLUICE_ADMIN_TOKEN: TOKEN });
      expect(() => openEventStore(settings, [])).toThrow(`Cannot open the event store at ${join(h.dataDir, 'events.db')}: no space left on device`);
    } finally {
      unmount(disk);
    }
  });

  withTmpfs('a read-only data dir stops start-up once, with a message naming it', async () => {
    const disk = mountTmpfs('4m');
    try {
      const dataDir = join(disk, 'data');
      mkdirSync(dataDir);
      execFileSync('mount', ['-o', 'remount,ro', disk]);
      expect(() => loadSettings({ SLUICE_DATA_DIR: dataDir, SLUICE_ADMIN_TOKEN: TOKEN })).toThrow(
        new RegExp(`data dir ${dataDir} \\(SLUICE_DATA_DIR\\) cannot be written: EROFS`),
      );
    } finally {
      unmount(disk);
    }
  });

  it('a data dir under a file stops start-up with a message naming it', () => {
    const base = mkdtempSync(join(tmpdir(), 'sluice-notdir-'));
    try {
      writeFileSync(join(base, 'file'), 'not a directory');
      const dataDir = join(base, 'file', 'data');
      expect(() => loadSettings({ SLUICE_DATA_DIR: dataDir, SLUICE_ADMIN_TOKEN: TOKEN })).toThrow(`The data dir ${dataDir} (SLUICE_DATA_DIR) cannot be written`);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('an event store file that cannot be opened stops start-up with a message naming it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-cantopen-'));
    try {
      mkdirSync(join(dataDir, 'events.db'));
      const settings = loadSettings({ SLUICE_DATA_DIR: dataDir, SLUICE_ADMIN_TOKEN: TOKEN });
      expect(() => openEventStore(settings, [])).toThrow(`Cannot open the event store at ${join(dataDir, 'events.db')}: the file cannot be opened`);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
