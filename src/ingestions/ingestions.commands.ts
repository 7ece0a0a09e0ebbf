import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ChangeConnection } from '../connections/connections.commands.js';
import { connectionDecider, connectionStream } from '../connections/connection.decider.js';
import { DomainError } from '../core/errors.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { type CommandContext, loadState } from '../core/write-path.js';
import { jobDecider } from '../jobs/job.decider.js';
import { jobStream } from '../jobs/job.model.js';
import { ChangeJob, type Changed } from '../jobs/jobs.commands.js';
import { datasourceConnectionId, type DatasourceSpec, ingestionJob, type IngestionSpec, SIREN_WORKSPACE } from './ingestion.model.js';

export type Put = Changed & { created: boolean };

/** Creates or replaces a datasource under the id the user chose. */
export class PutDatasource extends Command<Put> {
  constructor(
    readonly id: string,
    readonly spec: DatasourceSpec,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

/** Creates or replaces an ingestion; allowed while it runs (the running execution keeps its plan). */
export class PutIngestion extends Command<Put> {
  constructor(
    readonly id: string,
    readonly spec: IngestionSpec,
    readonly ctx: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(PutDatasource)
export class PutDatasourceHandler implements ICommandHandler<PutDatasource> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly commands: CommandBus,
  ) {}

  async execute({ id, spec, ctx }: PutDatasource): Promise<Put> {
    const connectionId = datasourceConnectionId(id);
    const put = async (context: CommandContext): Promise<Put> => {
      const { state } = await loadState(this.store, connectionStream(connectionId), connectionDecider);
      const created = state.status !== 'active';
      const command = created
        ? ({ type: 'CreateConnection', data: { connectionId, workspaceId: SIREN_WORKSPACE, name: id, ...spec } } as const)
        : ({ type: 'UpdateConnection', data: spec } as const);
      const changed: Changed = await this.commands.execute(new ChangeConnection(connectionId, command, context));
      return { ...changed, created };
    };
    // Two PUTs of a new id at once: the one that lost the create replaces what the other made.
    return put(ctx).catch((error) => (error instanceof DomainError && error.code === 'CONNECTION.EXISTS' ? put({ ...ctx, commandId: randomUUID() }) : Promise.reject(error)));
  }
}

@CommandHandler(PutIngestion)
export class PutIngestionHandler implements ICommandHandler<PutIngestion> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly commands: CommandBus,
  ) {}

  async execute({ id, spec, ctx }: PutIngestion): Promise<Put> {
    const { jobId, definition, tasks } = ingestionJob(id, spec);
    // Named by the user's ids, not the connection UUIDs the job would otherwise name.
    for (const [field, name] of [['datasource', spec.datasource], ['target_datasource', spec.targetDatasource]] as const) {
      if (name === null) continue;
      const { state } = await loadState(this.store, connectionStream(datasourceConnectionId(name)), connectionDecider);
      if (state.status !== 'active') throw new DomainError('CONNECTION.NOT_FOUND', `Datasource [${name}] not found`, `ingest.${field}`);
    }
    const { state } = await loadState(this.store, jobStream(jobId), jobDecider);
    const changed: Changed = await this.commands.execute(
      new ChangeJob(jobId, { type: 'DeclareJob', data: { jobId, workspaceId: SIREN_WORKSPACE, definition, tasks } }, ctx),
    );
    return { ...changed, created: state.status !== 'active' };
  }
}
