import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPostgres {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A real PostgreSQL server for the tests: initdb and pg_ctl in a temp dir, on a free loopback port, stopped
 * by `stop()`. initdb refuses to run as root, so as root it runs as the `postgres` user.
 */
export async function startPostgres(options: { password?: string } = {}): Promise<TestPostgres> {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  const bin = join('/usr/lib/postgresql', versions[0], 'bin');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-'));
  chmodSync(dir, 0o777);
  const asRoot = process.getuid?.() === 0;
  const run = (tool: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], { stdio: 'pipe' })
      : execFileSync(join(bin, tool), args, { stdio: 'pipe' });
  const data = join(dir, 'data');
  // With a password, connections must present it (scram-sha-256), so a test can tell a right password from a wrong one.
  const pwfile = join(dir, 'pwfile');
  if (options.password) writeFileSync(pwfile, `${options.password}\n`, { mode: 0o644 });
  const auth = options.password ? ['--auth=scram-sha-256', `--pwfile=${pwfile}`] : ['--auth=trust'];
  run('initdb', ['-D', data, '-U', 'sluice', ...auth, '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  return {
    url: `postgresql://sluice${options.password ? `:${encodeURIComponent(options.password)}` : ''}@127.0.0.1:${port}/postgres`,
    async stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
