import { Module } from '@nestjs/common';
import { CancelJobHandler, CancelRunHandler, ExecuteJobHandler } from './runs.commands.js';
import { ActiveRunsHandler, FindRunsHandler, GetRunHandler, ListRunsHandler, RunByNumberHandler, RunLogsHandler, TaskHistoryHandler } from './runs.queries.js';

@Module({
  providers: [ExecuteJobHandler, CancelJobHandler, CancelRunHandler, GetRunHandler, ListRunsHandler, TaskHistoryHandler, RunLogsHandler, FindRunsHandler, ActiveRunsHandler, RunByNumberHandler],
})
export class RunsModule {}
