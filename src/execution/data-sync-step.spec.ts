import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import type { ConnectionAccess } from '../config/settings.js';
import { keyring } from '../core/secrets.js';
import { exportFile, uploadFile } from '../datasyncs/datasync.model.js';
import { DirectoryFileStore } from '../infrastructure/files/directory-file-store.js';
import { connectionDecider, connectionStream } from '../connections/connection.decider.js';
import { type CommandContext, decideAndAppend, loadState } from '../core/write-path.js';
import { SqliteEventStore } from '../infrastructure/sqlite/sqlite-event-store.js';
import { jobDecider } from '../jobs/job.decider.js';
import { jobStream } from '../jobs/job.model.js';
import { CANCELED, runDecider, runStream } from '../runs/run.decider.js';
import { CancelRun, CancelRunHandler, ExecuteJob, ExecuteJobHandler } from '../runs/runs.commands.js';
import { SqliteConnector } from './connectors/sqlite.connector.js';
import { runDataSyncStep } from './data-sync-step.js';
import { executeRun } from './execute-run.js';
import { RunSession } from './run-session.js';
import type { RunStop, StopReason, Task } from './run-step.js';

describe('runDataSyncStep', () => {
  let dir: string;
  let files: DirectoryFileStore;
  let access: ConnectionAccess;
  let events: Array<{ type: string; data: Record<string, unknown> }>;
  let logs: string[];
  const session = () =>
    ({
      runId: 'run-1',
      plan: { jobId: 'ds-1', settings: { batch_size: 2 } },
      record: async (e: typeof events) => void events.push(...e),
      log: async (level: string, message: string) => void logs.push(`${level}: ${message}`),
    }) as unknown as RunSession;
  const task: Task = { taskId: 't-1', query: 'REPLICATE [people]', incrementalColumn: null, watermark: null, keyColumns: null };
  const stop = (reason: () => StopReason | null = () => null): RunStop => ({ reason, signal: new AbortController().signal });
  const db = () => join(dir, 'crm.db');
  const people = () => new Database(db()).prepare('SELECT id, name FROM people ORDER BY id').all();
  const run = (kind: 'Import' | 'Delete' | 'Export', file?: string, halt = stop()) =>
    runDataSyncStep(session(), task, 0, { kind, connection: { kind: 'sqlite', settings: { path: db() } }, file }, halt, access, files);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-datasync-'));
    files = new DirectoryFileStore(join(dir, 'data', 'files'));
    access = { dataDir: join(dir, 'data'), secretKeys: keyring(randomBytes(32)), connectionRoots: [] };
    events = [];
    logs = [];
    const setup = new Database(db());
    setup.exec("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, age INTEGER); INSERT INTO people VALUES (1, 'Ada', 36)");
    setup.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const upload = async (csv: string) => {
    const name = uploadFile('ds-1', 'u-1');
    await files.put(name, Readable.from([Buffer.from(csv)]), { contentType: 'text/csv' });
    return name;
  };

  it('imports an upload, recording the step and its log lines as a replication does', async () => {
    const file = await upload('id,name\n1,Ada L.\n2,Grace\n3,Alan\n');
    expect(await run('Import', file)).toBeUndefined();
    expect(people()).toEqual([
      { id: 1, name: 'Ada L.' },
      { id: 2, name: 'Grace' },
      { id: 3, name: 'Alan' },
    ]);
    expect(events.map((e) => e.type)).toEqual(['StepStarted', 'StepProgress', 'StepCompleted']);
    expect(events[0].data).toMatchObject({ runId: 'run-1', taskId: 't-1', source: file, destination: 'people' });
    expect(events[2].data).toMatchObject({ rowsRead: 3, rowsWritten: 3 });
    expect(logs[0]).toBe(`info: Task 1: importing ${file} into [people] (upsert by id)`);
    expect(logs[1]).toMatch(/^info: Task 1: imported 3 rows into \[people\] in \[\d+\.\d\d\] seconds \(1 updated, 2 inserted\)$/);
  });

  it('fails without changing the table, answering the message that names the line and column', async () => {
    const file = await upload('id,age\n2,40\n3,old\n');
    const message = await run('Import', file);
    expect(message).toBe('Task 1 ([people]) failed: Line 3, column age: "old" is not an integer');
    expect(events.map((e) => e.type)).toEqual(['StepStarted', 'StepFailed']);
    expect(events[1].data).toMatchObject({ error: message, rowsWritten: 0 });
    expect(logs.at(-1)).toBe(`error: ${message}`);
    expect(people()).toEqual([{ id: 1, name: 'Ada' }]);
  });

  it('fails when the upload is not in the file store', async () => {
    expect(await run('Delete', uploadFile('ds-1', 'gone'))).toBe(`Task 1 ([people]) failed: The uploaded file ${uploadFile('ds-1', 'gone')} is not in the file store`);
    expect(events.map((e) => e.type)).toEqual(['StepFailed']);
  });

  it('deletes by the primary key and counts the rows deleted', async () => {
    expect(await run('Delete', await upload('id\n1\n7\n'))).toBeUndefined();
    expect(people()).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'StepCompleted', data: { rowsRead: 2, rowsWritten: 1 } });
    expect(logs.at(-1)).toMatch(/^info: Task 1: deleted 1 rows from \[people\] in \[[\d.]+\] seconds \(2 rows in the file\)$/);
  });

  it('exports the table to the run’s export file', async () => {
    expect(await run('Export')).toBeUndefined();
    const stored = await files.get(exportFile('ds-1', 'run-1'));
    let text = '';
    for await (const chunk of stored!.stream) text += chunk.toString();
    expect(text).toBe('id,name,age\n1,Ada,36\n');
    expect(stored!.file.contentType).toBe('text/csv');
    expect(logs.at(-1)).toMatch(/^info: Task 1: exported 1 rows from \[people\] in \[[\d.]+\] seconds$/);
  });

  it('stops at a batch boundary when cancelled, changing nothing', async () => {
    const file = await upload('id,name\n2,A\n3,B\n4,C\n5,D\n');
    let checks = 0;
    expect(await run('Import', file, stop(() => (++checks >= 1 ? 'cancelled' : null)))).toBeUndefined();
    expect(events.at(-1)).toMatchObject({ type: 'StepCancelled', data: { reason: 'cancel requested', rowsWritten: 0 } });
    expect(logs.at(-1)).toMatch(/stopped \(cancel requested\) after .* nothing was changed$/);
    expect(people()).toEqual([{ id: 1, name: 'Ada' }]);
  });

  /**
   * The whole run (executeRun on a real event store and session) with a cancel that lands while the step's
   * connector or file store is working: the cancel is requested through CancelRun, and the work resolves only
   * once the worker has seen it (interrupt() called), so the race is played out the same way every time.
   */
  describe('a launch cancelled while its work commits', () => {
    let store: SqliteEventStore;
    const ctx = (id: string): CommandContext => ({ actor: 'test', correlationId: id, commandId: id, clock: () => new Date() });
    const owner = { instanceId: 'me', hostname: hostname(), pid: process.pid };
    const original = { applyAll: SqliteConnector.prototype.applyAll, interrupt: SqliteConnector.prototype.interrupt };
    let seen: boolean;

    beforeEach(() => {
      store = new SqliteEventStore(join(dir, 'events.db'));
      seen = false;
      // The worker interrupts the step's connector when it sees the cancel: that is when the cancel is "seen".
      SqliteConnector.prototype.interrupt = function () {
        seen = true;
      };
    });
    afterEach(async () => {
      Object.assign(SqliteConnector.prototype, original);
      await store.close();
    });

    const until = async (done: () => boolean) => {
      const deadline = Date.now() + 5000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error('The worker never saw the cancel');
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    let runId: string;
    /** Asks for the cancel, as an API would, and waits until the worker has seen it. */
    const cancelAndWait = async () => {
      await new CancelRunHandler(store).execute(new CancelRun(runId, ctx('cancel')));
      await until(() => seen);
    };

    /** Creates the data sync, launches it (with `file` for an import or delete) and runs the launch to its end. */
    async function launch(kind: 'Import' | 'Delete' | 'Export', file?: string) {
      const connection = { connectionId: 'c-1', workspaceId: 'w', name: 'crm', kind: 'sqlite' as const, settings: { path: db() } };
      await decideAndAppend(store, connectionStream('c-1'), connectionDecider, { type: 'CreateConnection', data: connection }, ctx('connection'));
      const side = kind === 'Export' ? { sourceConnectionId: 'c-1' } : { destinationConnectionId: 'c-1' };
      const job = { jobId: 'ds-1', workspaceId: 'w', name: 'People', type: kind, ...side, settings: { batch_size: 2 }, tasks: [{ id: 't-1', query: 'REPLICATE [people]', isActive: true }] };
      await decideAndAppend(store, jobStream('ds-1'), jobDecider, { type: 'CreateJob', data: job }, ctx('job'));
      const executed = await new ExecuteJobHandler(store).execute(new ExecuteJob('ds-1', undefined, ctx('launch'), 'manual', undefined, file));
      runId = executed.runId!;
      const session = await RunSession.claim(store, runId, owner, ctx('claim'));
      await executeRun(store, session, session.context, { shuttingDown: () => false, interrupt: new AbortController().signal }, access, files);
      const run = (await loadState(store, runStream(runId), runDecider)).state;
      const lines = (await store.readStream(runStream(runId))).filter((e) => e.type === 'RunLogged').map((e) => (e.data as { message: string }).message);
      return { status: run.status, lines, job: (await loadState(store, jobStream('ds-1'), jobDecider)).state };
    }

    it('ends an import succeeded when the cancel is seen only after its rows were committed', async () => {
      SqliteConnector.prototype.applyAll = async function (this: SqliteConnector, ...args: Parameters<SqliteConnector['applyAll']>) {
        const counts = await original.applyAll.apply(this, args);
        await cancelAndWait();
        return counts;
      };
      const ended = await launch('Import', await upload('id,name\n1,Ada L.\n2,Grace\n'));
      expect(people()).toEqual([
        { id: 1, name: 'Ada L.' },
        { id: 2, name: 'Grace' },
      ]);
      expect(ended.status).toBe('succeeded');
      expect(ended.lines).not.toContain(CANCELED);
      expect(ended.lines).toContainEqual(expect.stringMatching(/^Task 1: imported 2 rows into \[people\]/));
      expect(ended.lines).toContainEqual(expect.stringMatching(/^Cancel requested after the data sync's work was done/));
      expect(ended.lines.at(-1)).toMatch(/^FINISHED SUCCESSFULLY/);
      expect(ended.job).toMatchObject({ activeRunId: null });
    });

    it('ends a delete succeeded the same way', async () => {
      SqliteConnector.prototype.applyAll = async function (this: SqliteConnector, ...args: Parameters<SqliteConnector['applyAll']>) {
        const counts = await original.applyAll.apply(this, args);
        await cancelAndWait();
        return counts;
      };
      const ended = await launch('Delete', await upload('id\n1\n'));
      expect(people()).toEqual([]);
      expect(ended.status).toBe('succeeded');
    });

    it('ends an export succeeded when the cancel is seen only after its file was written', async () => {
      const put = files.put.bind(files);
      files.put = async (...args: Parameters<typeof files.put>) => {
        const stored = await put(...args);
        await cancelAndWait();
        return stored;
      };
      const ended = await launch('Export');
      expect(ended.status).toBe('succeeded');
      expect(ended.lines).not.toContain(CANCELED);
      expect(await files.get(exportFile('ds-1', runId))).not.toBeNull();
    });

    it('still ends cancelled, changing nothing, when the cancel is seen before the rows are committed', async () => {
      SqliteConnector.prototype.applyAll = async function (this: SqliteConnector, ...args: Parameters<SqliteConnector['applyAll']>) {
        await cancelAndWait();
        return original.applyAll.apply(this, args);
      };
      const ended = await launch('Import', await upload('id,name\n1,Ada L.\n2,Grace\n'));
      expect(people()).toEqual([{ id: 1, name: 'Ada' }]);
      expect(ended.status).toBe('cancelled');
      expect(ended.lines.at(-1)).toBe(CANCELED);
      expect(ended.job).toMatchObject({ activeRunId: null });
    });
  });
});
