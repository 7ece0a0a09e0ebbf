import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { SETTINGS, type Settings } from '../config/settings.js';
import { ChangeConnection } from '../connections/connections.commands.js';
import { connectionDecider, connectionStream, type ConnectionCommand } from '../connections/connection.decider.js';
import { DomainError } from '../core/errors.js';
import { EVENT_STORE, type EventStore } from '../core/event-store.js';
import { type CommandContext, loadState, systemClock } from '../core/write-path.js';
import { ChangeJob } from '../jobs/jobs.commands.js';
import type { JobCommand } from '../jobs/job.decider.js';
import { workspaceDecider, workspaceStream } from '../workspaces/workspace.decider.js';
import { DECLARED_WORKSPACE, declaredConnections, declaredJobs } from './declared-jobs.js';

/**
 * Makes the connections and jobs of the config file (SLUICE_CONFIG) at every start: created when new, changed
 * where the file changed, nothing appended where it did not. A job of the workspace the file no longer
 * declares is disabled, never deleted, so its history stays. An invalid file, or one that cannot be applied
 * (a path Sluice may not reach, a name another API took), stops the start.
 */
@Injectable()
export class DeclaredSources implements OnApplicationBootstrap {
  private readonly logger = new Logger('Config');

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly commands: CommandBus,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const config = this.settings.declared;
    if (!config) return;
    const connections = declaredConnections(config);
    const jobs = declaredJobs(config);
    const failures: string[] = [];
    const attempt = async (what: string, work: (ctx: CommandContext) => Promise<unknown>) => {
      const ctx = { actor: 'config', correlationId: `config:${config.file}`.slice(0, 128), commandId: randomUUID(), clock: systemClock };
      await work(ctx).catch((error: Error) => failures.push(`${what}: ${error.message}`));
    };
    for (const c of connections) {
      const change = async (ctx: CommandContext) => {
        const { state } = await loadState(this.store, connectionStream(c.id), connectionDecider);
        const command: ConnectionCommand =
          state.status === 'active'
            ? { type: 'UpdateConnection', data: { name: c.name, kind: c.kind, settings: c.settings } }
            : { type: 'CreateConnection', data: { connectionId: c.id, workspaceId: DECLARED_WORKSPACE, name: c.name, kind: c.kind, settings: c.settings } };
        return this.commands.execute(new ChangeConnection(c.id, command, ctx));
      };
      // Another instance starting on the same file may create it first: then it is changed like any other.
      await attempt(c.name, (ctx) => change(ctx).catch((error) => (error instanceof DomainError && error.code === 'CONNECTION.EXISTS' ? change({ ...ctx, commandId: randomUUID() }) : Promise.reject(error))));
    }
    for (const job of jobs) {
      const command: JobCommand = { type: 'DeclareJob', data: { jobId: job.jobId, workspaceId: DECLARED_WORKSPACE, definition: job.definition, tasks: job.tasks } };
      await attempt(`job ${job.definition.name}`, (ctx) => this.commands.execute(new ChangeJob(job.jobId, command, ctx)));
    }
    const declared = new Set(jobs.map((j) => j.jobId));
    const { state: workspace } = await loadState(this.store, workspaceStream(DECLARED_WORKSPACE), workspaceDecider);
    const removed = Object.entries(workspace.jobs).filter(([jobId, entry]) => entry.settled && !declared.has(jobId));
    for (const [jobId, entry] of removed) {
      await attempt(`job ${entry.settled!.name}`, (ctx) => this.commands.execute(new ChangeJob(jobId, { type: 'SetJobEnabled', data: { enabled: false } }, ctx)));
    }
    // What the file declares must hold, or the tasks asked for would fail later with less to go on: stop the start.
    if (failures.length) throw new Error(`${config.file}: could not apply ${failures.join('; ')}`);
    const summary = `${config.file}: ${connections.length} connection(s) and ${jobs.length} job(s) in workspace "${DECLARED_WORKSPACE}"`;
    this.logger.log(`${summary}${removed.length ? `; ${removed.length} job(s) no longer declared are disabled` : ''}`);
  }
}
