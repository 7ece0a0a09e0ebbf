import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Logger } from '@nestjs/common';
import { Command, CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { SETTINGS, type Settings } from '../config/settings.js';
import { connectionDecider, connectionStream } from '../connections/connection.decider.js';
import { DomainError, type ErrorCode } from '../core/errors.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { FILE_STORE, type FileStore, FileTooLargeError } from '../core/file-store.js';
import { type CommandContext, loadState } from '../core/write-path.js';
import { CreateToken, RevokeToken } from '../identity/tokens.commands.js';
import { tokenDecider, tokenStream } from '../identity/token.decider.js';
import { jobDecider, type JobCommand, type JobState, MAX_WAITING_RUNS } from '../jobs/job.decider.js';
import { applyChanges } from '../jobs/job.changes.js';
import { type JobChanges, jobStream } from '../jobs/job.model.js';
import { ChangeJob, type Changed } from '../jobs/jobs.commands.js';
import { type Executed, ExecuteJob } from '../runs/runs.commands.js';
import { DATASYNC_KINDS, dataSyncFiles, type DataSyncSpec, dataSyncScope, JOB_TYPE_OF, KIND_OF, replicateQuery, tableOf, uploadFile } from './datasync.model.js';

export interface IssuedToken {
  tokenId: string;
  /** Shown once: only its hash is kept. */
  token: string;
}

export class CreateDataSync extends Command<Changed & { token?: IssuedToken }> {
  constructor(
    readonly spec: DataSyncSpec,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

export type DataSyncChanges = Partial<Omit<DataSyncSpec, 'kind'>>;

/** PUT: only the fields sent change. */
export class UpdateDataSync extends Command<Changed> {
  constructor(
    readonly id: string,
    readonly changes: DataSyncChanges,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

export class DeleteDataSync extends Command<Changed> {
  constructor(
    readonly id: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

export class IssueDataSyncToken extends Command<IssuedToken & { position?: string }> {
  constructor(
    readonly id: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

export class RevokeDataSyncToken extends Command<{ position?: string }> {
  constructor(
    readonly id: string,
    readonly tokenId: string,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

/** Starts a launch now: an export, or an import or delete of an uploaded `file` (already in the file store). */
export class LaunchDataSync extends Command<Executed> {
  constructor(
    readonly id: string,
    readonly file: string | undefined,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

/** Where a dialect streams an upload's file: the file store, under a name of the data sync's. */
export interface UploadTarget {
  /** Streams the file in; rejects, having stored nothing, when it fails (over SLUICE_MAX_UPLOAD_MB, the upload cut). */
  put(content: Readable): Promise<unknown>;
  /** Removes what `put` stored, when the rest of the upload fails after it. */
  remove(): Promise<unknown>;
}

/**
 * Launches an import or delete on an uploaded file: `receive` (the dialect's reading of its request) streams
 * the file into the target it is given, then the launch is queued on it. A file whose launch was certainly
 * not queued is removed again; one whose launch may have been is kept (its run would read it).
 */
export class LaunchDataSyncUpload extends Command<Executed> {
  constructor(
    readonly id: string,
    readonly receive: (target: UploadTarget) => Promise<void>,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

/** The job state of a data sync; DATASYNC.NOT_FOUND for anything else. */
export async function loadDataSync(store: EventStore, id: string): Promise<Extract<JobState, { status: 'active' | 'deleted' }>> {
  const { state } = await loadState(store, jobStream(id), jobDecider);
  if (state.status !== 'active' || !KIND_OF[state.type]) throw new DomainError('DATASYNC.NOT_FOUND', `Data sync ${id} not found`);
  return state;
}

/** Where a data sync's table lives: the destination of imports and deletes, the source of exports. */
function jobChanges(kind: DataSyncSpec['kind'], changes: DataSyncChanges): JobChanges {
  const { name, connectionId, schedule, enabled, auth } = changes;
  if (schedule?.enabled && kind !== 'export') throw new DomainError('VALIDATION', 'Only exports run on a schedule: imports and deletes run when a file is uploaded', 'schedule');
  return {
    name,
    enabled,
    ...(connectionId === undefined ? {} : kind === 'export' ? { sourceConnectionId: connectionId } : { destinationConnectionId: connectionId }),
    schedule,
    settings: auth === undefined ? undefined : { api_auth: auth },
  };
}

function checkTable(table: unknown, keyColumns: unknown): void {
  if (typeof table !== 'string' || !table.trim() || table.length > 200 || table.includes(']')) throw new DomainError('VALIDATION', 'table must be a table name of 1 to 200 characters without "]"', 'table');
  if (keyColumns !== null && (!Array.isArray(keyColumns) || !keyColumns.length || !keyColumns.every((c) => typeof c === 'string' && c.trim() && c.length <= 200))) {
    throw new DomainError('VALIDATION', 'key_columns must be a non-empty list of column names, or null', 'key_columns');
  }
}

/**
 * The data sync's one task: its table, matched by its key columns. The task id follows from the data sync's
 * so a change of table or keys updates the same task.
 */
const taskOf = (id: string, table: string, keyColumns: string[] | null) => ({ id, query: replicateQuery(table), isActive: true, incrementalColumn: null, keyColumns });

/**
 * Creates the data sync's job and, with `auth`, its first token. The two are separate streams, so not one
 * append: when the token cannot be issued the job is deleted again (and a token that may have been written
 * is revoked), so no data sync is left that needs a token nobody was shown. The job's events stay in the log.
 */
@CommandHandler(CreateDataSync)
export class CreateDataSyncHandler implements ICommandHandler<CreateDataSync> {
  private readonly logger = new Logger('DataSyncs');

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly commands: CommandBus,
  ) {}

  async execute({ spec, ctx }: CreateDataSync) {
    if (!DATASYNC_KINDS.includes(spec.kind)) throw new DomainError('VALIDATION', `kind must be one of: ${DATASYNC_KINDS.join(', ')}`, 'kind');
    checkTable(spec.table, spec.keyColumns);
    const { state: connection } = await loadState(this.store, connectionStream(spec.connectionId), connectionDecider);
    if (connection.status !== 'active') throw new DomainError('CONNECTION.NOT_FOUND', `Connection ${spec.connectionId} not found`, 'connection_id');
    const id = randomUUID();
    const command: JobCommand = {
      type: 'CreateJob',
      data: { jobId: id, workspaceId: connection.workspaceId, type: JOB_TYPE_OF[spec.kind], ...jobChanges(spec.kind, spec), name: spec.name, tasks: [taskOf(id, spec.table, spec.keyColumns)] },
    };
    const created: Changed = await this.commands.execute(new ChangeJob(id, command, ctx));
    if (!spec.auth) return created;
    const tokenId = randomUUID();
    try {
      const token = await issueToken(this.commands, id, ctx, tokenId);
      return { ...created, token: { tokenId, token: token.token } };
    } catch (error) {
      await this.undo(id, tokenId, ctx);
      throw error;
    }
  }

  /** Takes back a creation whose token failed: the token, if it was written after all, then the job. */
  private async undo(id: string, tokenId: string, ctx: CommandContext): Promise<void> {
    const undoCtx = { ...ctx, commandId: `${ctx.commandId}:undo` };
    await this.commands.execute(new RevokeToken(tokenId, undoCtx)).catch(() => undefined);
    await this.commands.execute(new ChangeJob(id, { type: 'DeleteJob', data: {} }, undoCtx)).catch((error: unknown) => {
      this.logger.error(`Data sync ${id} was created but its token could not be issued, and deleting it failed too (${(error as Error).message}): delete it by hand`);
    });
  }
}

@CommandHandler(UpdateDataSync)
export class UpdateDataSyncHandler implements ICommandHandler<UpdateDataSync> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly commands: CommandBus,
  ) {}

  async execute({ id, changes, ctx }: UpdateDataSync): Promise<Changed> {
    const state = await loadDataSync(this.store, id);
    const kind = KIND_OF[state.type]!;
    const task = state.tasks[0];
    const table = changes.table ?? tableOf(task.query) ?? '';
    const keyColumns = changes.keyColumns === undefined ? (task.keyColumns ?? null) : changes.keyColumns;
    checkTable(table, keyColumns);
    const definition = applyChanges(state, jobChanges(kind, changes));
    const declare: JobCommand = { type: 'DeclareJob', data: { jobId: id, workspaceId: state.workspaceId, definition, tasks: [taskOf(task.id, table, keyColumns)] } };
    return this.commands.execute(new ChangeJob(id, declare, ctx));
  }
}

/**
 * Deletes the data sync's job, then its files (every upload and export, by their prefix): they are served
 * only through the data sync, which is gone, and nothing else reads them (a job with a queued or running
 * launch cannot be deleted). The runs stay in the history. Files whose deletion fails (or a crash just after
 * the delete) are left behind and logged; deleting them by hand is safe.
 */
@CommandHandler(DeleteDataSync)
export class DeleteDataSyncHandler implements ICommandHandler<DeleteDataSync> {
  private readonly logger = new Logger('DataSyncs');

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(FILE_STORE) private readonly files: FileStore,
    private readonly commands: CommandBus,
  ) {}

  async execute({ id, ctx }: DeleteDataSync): Promise<Changed> {
    await loadDataSync(this.store, id);
    const deleted: Changed = await this.commands.execute(new ChangeJob(id, { type: 'DeleteJob', data: {} }, ctx));
    await this.deleteFiles(id);
    return deleted;
  }

  private async deleteFiles(id: string): Promise<void> {
    const prefix = dataSyncFiles(id);
    try {
      for (const file of await this.files.list(prefix)) {
        await this.files.delete(file.name).catch((error: unknown) => this.logger.warn(`Data sync ${id} is deleted but its file ${file.name} is not: ${(error as Error).message}`));
      }
    } catch (error) {
      this.logger.warn(`Data sync ${id} is deleted but its files (${prefix}) could not be listed: ${(error as Error).message}`);
    }
  }
}

async function issueToken(commands: CommandBus, id: string, ctx: CommandContext, tokenId: string = randomUUID()) {
  const name = `datasync-${id.slice(0, 8)}-${tokenId.slice(0, 8)}`;
  const created = await commands.execute(new CreateToken(tokenId, { name, roles: ['Operator'], scope: dataSyncScope(id) }, ctx));
  return { tokenId, token: created.token, position: created.position };
}

@CommandHandler(IssueDataSyncToken)
export class IssueDataSyncTokenHandler implements ICommandHandler<IssueDataSyncToken> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly commands: CommandBus,
  ) {}

  async execute({ id, ctx }: IssueDataSyncToken) {
    await loadDataSync(this.store, id);
    return issueToken(this.commands, id, ctx);
  }
}

/** Revokes a token of this data sync; a token of anything else is not found here, so no other data sync is touched. */
@CommandHandler(RevokeDataSyncToken)
export class RevokeDataSyncTokenHandler implements ICommandHandler<RevokeDataSyncToken> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly commands: CommandBus,
  ) {}

  async execute({ id, tokenId, ctx }: RevokeDataSyncToken) {
    await loadDataSync(this.store, id);
    const { state } = await loadState(this.store, tokenStream(tokenId), tokenDecider);
    if (state.status !== 'active' || state.scope !== dataSyncScope(id)) throw new DomainError('TOKEN.NOT_FOUND', `Data sync ${id} has no token ${tokenId}`);
    return this.commands.execute(new RevokeToken(tokenId, ctx));
  }
}

@CommandHandler(LaunchDataSync)
export class LaunchDataSyncHandler implements ICommandHandler<LaunchDataSync> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly commands: CommandBus,
  ) {}

  async execute({ id, file, ctx }: LaunchDataSync): Promise<Executed> {
    const state = await loadDataSync(this.store, id);
    const needsFile = state.type !== 'Export';
    if (needsFile !== (file !== undefined)) {
      throw new DomainError('VALIDATION', needsFile ? `Data sync ${id} runs on an uploaded file: upload one to /api/data-sync/${KIND_OF[state.type]}/${id}` : 'An export takes no file', 'file');
    }
    // A file's launch waits its turn behind one queued or running (JOB.QUEUE_FULL past MAX_WAITING_RUNS).
    return this.commands.execute<ExecuteJob, Executed>(new ExecuteJob(id, undefined, ctx, 'manual', undefined, file)).catch((error: unknown) => {
      throw error instanceof DomainError ? (refusalOf(id, error.code) ?? error) : error;
    });
  }
}

/** A launch refused as its data sync's user knows it: said of the data sync, not of its job. */
function refusalOf(id: string, code: ErrorCode): DomainError | undefined {
  if (code === 'JOB.DISABLED') return new DomainError(code, `Data sync ${id} is disabled and does not launch; enable it first`);
  if (code === 'JOB.QUEUE_FULL') return new DomainError(code, `Data sync ${id} has a launch running and ${MAX_WAITING_RUNS} files waiting; send the file again once one has ended`);
  return undefined;
}

/**
 * Refusals decided from the streams before anything is appended: a launch refused with one of these was
 * certainly not queued. Anything else (the store failing, a conflict after the job's stream took the request,
 * a timeout) may have queued it.
 */
const NOT_QUEUED: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['JOB.QUEUE_FULL', 'DATASYNC.NOT_FOUND', 'JOB.NOT_FOUND', 'JOB.DISABLED', 'JOB.NEEDS_FILE', 'JOB.NOT_RUNNABLE', 'VALIDATION']);

export const certainlyNotQueued = (error: unknown): boolean => error instanceof DomainError && NOT_QUEUED.has(error.code);

@CommandHandler(LaunchDataSyncUpload)
export class LaunchDataSyncUploadHandler implements ICommandHandler<LaunchDataSyncUpload> {
  private readonly logger = new Logger('DataSyncs');

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly commands: CommandBus,
    @Inject(FILE_STORE) private readonly files: FileStore,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async execute({ id, receive, ctx }: LaunchDataSyncUpload): Promise<Executed> {
    // A launch that would be refused is refused before the file is read, not after it is stored (the launch
    // still decides for itself: this is only a look at the stream as it is now).
    const state = await loadDataSync(this.store, id);
    const refused = !state.enabled ? 'JOB.DISABLED' : state.activeRunId && (state.waitingRunIds ?? []).length >= MAX_WAITING_RUNS ? 'JOB.QUEUE_FULL' : undefined;
    if (refused) throw refusalOf(id, refused)!;
    const name = uploadFile(id, randomUUID());
    const maxBytes = this.settings.maxUploadMb * 1024 * 1024;
    await receive({
      put: (content) => this.files.put(name, content, { maxBytes, contentType: 'text/csv' }),
      remove: () => this.files.delete(name),
    }).catch((error: unknown) => {
      if (error instanceof FileTooLargeError) throw new DomainError('BODY.TOO_LARGE', `The file is larger than ${this.settings.maxUploadMb} MB (SLUICE_MAX_UPLOAD_MB)`, 'file');
      throw error;
    });
    try {
      return await this.commands.execute(new LaunchDataSync(id, name, ctx));
    } catch (error) {
      if (certainlyNotQueued(error)) await this.files.delete(name).catch(() => false);
      else this.logger.warn(`Data sync ${id}: the launch on ${name} failed and may have been queued, so the file is kept: ${(error as Error).message}`);
      throw error;
    }
  }
}
