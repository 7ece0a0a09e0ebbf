import { Module } from '@nestjs/common';
import { RunWorker } from '../execution/run-worker.js';
import { Scheduler } from '../execution/scheduler.js';
import { CancelJobHandler, ExecuteJobHandler } from './runs.commands.js';
import { GetRunHandler, ListRunsHandler, RunLogsHandler, TaskHistoryHandler } from './runs.queries.js';

@Module({
  providers: [ExecuteJobHandler, CancelJobHandler, GetRunHandler, ListRunsHandler, TaskHistoryHandler, RunLogsHandler, RunWorker, Scheduler],
})
export class RunsModule {}
