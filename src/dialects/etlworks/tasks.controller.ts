import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiParam, ApiQuery } from '@nestjs/swagger';
import type { Page } from '../../core/read-store.js';
import { ApiAnswer } from '../../http/api-docs.js';
import { ActiveRuns } from '../../runs/runs.queries.js';
import type { RunDoc } from '../../runs/runs.read-model.js';
import { EtlworksController } from './etlworks.decorators.js';
import { auditIdOf, type EtlworksTask, TASK_TYPES, type TaskType, toEtlworksTasks, typeParam } from './etlworks.mapping.js';
import { AUTH_ANSWERS, BAD_REQUEST } from './examples.js';

type Params = Record<string, unknown>;

const TASK: EtlworksTask = {
  requestId: '3f2b8c1a-5d4e-4f6a-9b7c-8d9e0f1a2b3c/6f1c2f0e-8f55-4a53-9d2c-2b1f3f1d9a10/extract',
  owner: 'user:ada',
  name: 'nightly-orders: extract [orders]',
  started: 1795420800130,
  duration: 3870,
  code: 'Extracted 120000 records from [orders], 40000 since the last check; ms per batch: min 8.2, avg 12.9, max 31.5; last id 120000',
  type: 'extract',
  tenant: 'default',
  language: null,
  latency: 12.9,
  maxLatency: 31.5,
  minLatency: 8.2,
  avgLatency: 12.9,
  recordsProcessed: 120000,
  recordsProcessedSinceLastCheck: 40000,
  lastCheck: 1795420803000,
  lastTimeRecordsReceivedDate: 1795420803000,
};
const PAGE = 100;

/**
 * Etlworks' currently running tasks: the running steps of the running runs, each an extract and a load, and
 * an hwm task for an incremental one, with the live metrics the worker records every second.
 */
@EtlworksController('Etlworks: running tasks', { all: 'Administrator', ofExecution: 'Administrator' })
@Controller('etl/rest/v1/tasks')
export class EtlworksTasksController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @ApiOperation({ summary: 'Every currently running task, of every flow (also at /etl/rest/v1/tasks/)' })
  @ApiQuery({ name: 'type', required: false, enum: TASK_TYPES, description: 'Only tasks of this type; absent: all' })
  @ApiAnswer(200, 'The running tasks', [TASK])
  @ApiAnswer(400, 'An unknown type or query parameter', BAD_REQUEST)
  @AUTH_ANSWERS(true)
  async all(@Query() query: Params) {
    const type = typeParam(query);
    return this.tasksOf(await this.activeRuns(), type);
  }

  @Get(':audit_id')
  @ApiOperation({ summary: 'The running tasks of one flow execution (also at /etl/rest/v1/tasks/{audit_id}/); none once it has ended' })
  @ApiParam({ name: 'audit_id', description: "The execution's audit id: the run's number", example: '80610' })
  @ApiQuery({ name: 'type', required: false, enum: TASK_TYPES, description: 'Only tasks of this type; absent: all' })
  @ApiAnswer(200, 'The running tasks of the execution; an empty list when it is not running (or no such execution)', [TASK])
  @ApiAnswer(400, 'An audit id that is not a whole number, an unknown type or query parameter', BAD_REQUEST)
  @AUTH_ANSWERS(true)
  async ofExecution(@Param('audit_id') auditId: string, @Query() query: Params) {
    const number = auditIdOf(auditId, 'audit_id');
    const type = typeParam(query);
    return this.tasksOf(await this.activeRuns(number), type);
  }

  /** Every running run (or the one of this audit id, when it is running), each step with the incremental column its run planned. */
  private async activeRuns(number?: number): Promise<RunDoc[]> {
    const runs: RunDoc[] = [];
    let cursor: string | undefined;
    do {
      const page: Page<RunDoc> = await this.queries.execute(new ActiveRuns(PAGE, cursor, number));
      runs.push(...page.items);
      cursor = page.next;
    } while (cursor);
    return runs;
  }

  private tasksOf(runs: RunDoc[], type: TaskType | undefined): EtlworksTask[] {
    const now = Date.now();
    const tasks = runs.flatMap((run) => toEtlworksTasks(run, now));
    return type ? tasks.filter((t) => t.type === type) : tasks;
  }
}
