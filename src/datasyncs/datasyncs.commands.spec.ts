import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import type { CommandBus } from '@nestjs/cqrs';
import { loadSettings, type Settings } from '../config/settings.js';
import { ChangeConnection, ChangeConnectionHandler } from '../connections/connections.commands.js';
import { DomainError } from '../core/errors.js';
import { type CommandContext, decideAndAppend, loadState } from '../core/write-path.js';
import { CreateToken, RevokeToken } from '../identity/tokens.commands.js';
import { DirectoryFileStore } from '../infrastructure/files/directory-file-store.js';
import { SqliteEventStore } from '../infrastructure/sqlite/sqlite-event-store.js';
import { jobDecider } from '../jobs/job.decider.js';
import { jobStream } from '../jobs/job.model.js';
import { ChangeJob, ChangeJobHandler } from '../jobs/jobs.commands.js';
import { CreateDataSync, CreateDataSyncHandler, DeleteDataSync, DeleteDataSyncHandler, LaunchDataSync, LaunchDataSyncUpload, LaunchDataSyncUploadHandler } from './datasyncs.commands.js';
import { exportFile, uploadFile } from './datasync.model.js';

const ctx = (commandId: string): CommandContext => ({ actor: 'user:ada', correlationId: 'c', commandId, clock: () => new Date() });
const settings = { maxUploadMb: 1 } as Settings;
const ID = '0b6e3c55-1d6f-4f0a-9e57-3a3c2f7f4b21';

/** A command bus that answers each command class with `handlers`, and fails on any other. */
function bus(handlers: Array<[new (...args: never[]) => object, (command: never) => Promise<unknown>]>): CommandBus {
  return {
    execute: async (command: object) => {
      const found = handlers.find(([type]) => command instanceof type);
      if (!found) throw new Error(`No handler for ${command.constructor.name}`);
      return found[1](command as never);
    },
  } as unknown as CommandBus;
}

describe('data sync commands', () => {
  // The handlers log what they keep or leave behind; these tests look at the stores instead.
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));
  let dir: string;
  let events: SqliteEventStore;
  let files: DirectoryFileStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-datasyncs-'));
    events = new SqliteEventStore(join(dir, 'events.db'));
    files = new DirectoryFileStore(join(dir, 'files'));
  });
  /** A connection in the workspace `crm`, made as the API makes one. */
  const connection = async (connectionId: string) => {
    const handler = new ChangeConnectionHandler(events, loadSettings({ SLUICE_DATA_DIR: join(dir, 'data') }));
    const data = { connectionId, workspaceId: 'crm', name: `crm-${connectionId.slice(-1)}`, kind: 'sqlite' as const, settings: { path: join(dir, 'crm.db') } };
    await handler.execute(new ChangeConnection(connectionId, { type: 'CreateConnection', data }, ctx(`connection-${connectionId}`)));
  };
  afterEach(async () => {
    await events.close();
    await files.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('LaunchDataSyncUpload', () => {
    /** The data sync's job, as its stream holds it: an import of `customers`, enabled or not. */
    const dataSync = (enabled = true) =>
      decideAndAppend(events, jobStream(ID), jobDecider, {
        type: 'CreateJob',
        data: { jobId: ID, workspaceId: 'crm', name: 'Customers', type: 'Import', enabled, destinationConnectionId: 'c1', tasks: [{ id: 't', query: 'REPLICATE [customers]', isActive: true }] },
      }, ctx('create'));
    beforeEach(() => dataSync());
    const upload = (launch: (command: LaunchDataSync) => Promise<unknown>) =>
      new LaunchDataSyncUploadHandler(events, bus([[LaunchDataSync, launch]]), files, settings).execute(
        new LaunchDataSyncUpload(ID, (target) => target.put(Readable.from([Buffer.from('email\nada@example.com\n')])).then(() => undefined), ctx('upload')),
      );
    const stored = async () => (await files.list(`datasyncs/${ID}/uploads/`)).map((f) => f.name);

    it('stores the file, then launches the data sync on it', async () => {
      let launched: LaunchDataSync | undefined;
      await expect(upload(async (command) => ((launched = command), { runId: 'r', created: true }))).resolves.toEqual({ runId: 'r', created: true });
      expect(await stored()).toEqual([launched!.file]);
      expect(launched).toMatchObject({ id: ID, file: expect.stringMatching(new RegExp(`^datasyncs/${ID}/uploads/[0-9a-f-]{36}\\.csv$`)) });
    });

    it('removes the file of a launch refused before anything was queued (busy, disabled)', async () => {
      for (const code of ['JOB.QUEUE_FULL', 'JOB.DISABLED', 'DATASYNC.NOT_FOUND'] as const) {
        await expect(upload(() => Promise.reject(new DomainError(code, 'refused')))).rejects.toMatchObject({ code });
        expect(await stored()).toEqual([]);
      }
    });

    it('keeps the file of a launch that failed in a way that may have queued it: its run would read it', async () => {
      await expect(upload(() => Promise.reject(new Error('the event store went away mid-append')))).rejects.toThrow('went away');
      expect(await stored()).toHaveLength(1);
      await expect(upload(() => Promise.reject(new DomainError('CONCURRENCY.CONFLICT', 'changed concurrently')))).rejects.toMatchObject({ code: 'CONCURRENCY.CONFLICT' });
      expect(await stored()).toHaveLength(2);
    });

    it('refuses a disabled data sync before reading the file, storing nothing and launching nothing', async () => {
      await decideAndAppend(events, jobStream(ID), jobDecider, { type: 'SetJobEnabled', data: { enabled: false } }, ctx('disable'));
      let read = false;
      const handler = new LaunchDataSyncUploadHandler(events, bus([]), files, settings);
      const refused = handler.execute(new LaunchDataSyncUpload(ID, async () => void (read = true), ctx('refused')));
      await expect(refused).rejects.toMatchObject({ code: 'JOB.DISABLED', message: `Data sync ${ID} is disabled and does not launch; enable it first` });
      expect(read).toBe(false);
      expect(await stored()).toEqual([]);
    });

    it('answers 413 in MB for a file over SLUICE_MAX_UPLOAD_MB, with nothing stored or launched', async () => {
      const launch = async () => {
        throw new Error('launched');
      };
      const handler = new LaunchDataSyncUploadHandler(events, bus([[LaunchDataSync, launch]]), files, settings);
      const big = new LaunchDataSyncUpload(ID, (target) => target.put(Readable.from([Buffer.alloc(2 * 1024 * 1024, 'a')])).then(() => undefined), ctx('big'));
      await expect(handler.execute(big)).rejects.toMatchObject({ code: 'BODY.TOO_LARGE', message: 'The file is larger than 1 MB (SLUICE_MAX_UPLOAD_MB)' });
      expect(await stored()).toEqual([]);
    });
  });

  describe('CreateDataSync with auth', () => {
    const connectionId = 'c0000000-0000-4000-8000-000000000001';
    const spec = { name: 'Customers', kind: 'import' as const, connectionId, table: 'customers', keyColumns: ['email'], enabled: true, auth: true };

    beforeEach(() => connection(connectionId));

    const jobIds = async () => (await events.readAll({ maxCount: 1000 })).filter((e) => e.type === 'JobCreated').map((e) => (e.data as { jobId: string }).jobId);

    it('deletes the job again when its token cannot be issued, so no data sync is left without a token shown', async () => {
      const jobs = new ChangeJobHandler(events);
      const revoked: string[] = [];
      let asked: CreateToken | undefined;
      const failing = bus([
        [ChangeJob, (command: ChangeJob) => jobs.execute(command)],
        [CreateToken, (command: CreateToken) => ((asked = command), Promise.reject(new Error('the token store is down')))],
        [RevokeToken, (command: RevokeToken) => (revoked.push(command.tokenId), Promise.reject(new DomainError('TOKEN.NOT_FOUND', 'no such token')))],
      ]);
      await expect(new CreateDataSyncHandler(events, failing).execute(new CreateDataSync(spec, ctx('create')))).rejects.toThrow('the token store is down');
      const [id] = await jobIds();
      expect((await loadState(events, jobStream(id), jobDecider)).state.status).toBe('deleted');
      // a token written after all is revoked
      expect(revoked).toEqual([asked!.tokenId]);

      // the name is free again: the next try, with a working token store, makes the data sync
      const working = bus([
        [ChangeJob, (command: ChangeJob) => jobs.execute(command)],
        [CreateToken, async () => ({ id: 't', token: 'slc_secret' })],
      ]);
      const created = await new CreateDataSyncHandler(events, working).execute(new CreateDataSync(spec, ctx('again')));
      expect(created).toMatchObject({ token: { tokenId: expect.any(String), token: 'slc_secret' } });
      expect((await loadState(events, jobStream(created.id), jobDecider)).state.status).toBe('active');
    });
  });

  describe('DeleteDataSync', () => {
    it("deletes the data sync's uploads and exports, and no other data sync's files", async () => {
      const connectionId = 'c0000000-0000-4000-8000-000000000002';
      await connection(connectionId);
      const jobs = new ChangeJobHandler(events);
      const commands = bus([[ChangeJob, (command: ChangeJob) => jobs.execute(command)]]);
      const make = (name: string) =>
        new CreateDataSyncHandler(events, commands).execute(new CreateDataSync({ name, kind: 'import', connectionId, table: 't', keyColumns: null, enabled: true, auth: false }, ctx(name)));
      const [gone, kept] = [await make('gone'), await make('kept')];
      const put = (name: string) => files.put(name, Readable.from([Buffer.from('a\n1\n')]));
      for (const name of [uploadFile(gone.id, 'u1'), uploadFile(gone.id, 'u2'), exportFile(gone.id, 'r1'), uploadFile(kept.id, 'u3')]) await put(name);

      await new DeleteDataSyncHandler(events, files, commands).execute(new DeleteDataSync(gone.id, ctx('delete')));
      expect((await loadState(events, jobStream(gone.id), jobDecider)).state.status).toBe('deleted');
      expect(await files.list(`datasyncs/${gone.id}/`)).toEqual([]);
      expect((await files.list('datasyncs/')).map((f) => f.name)).toEqual([uploadFile(kept.id, 'u3')]);
    });
  });
});
