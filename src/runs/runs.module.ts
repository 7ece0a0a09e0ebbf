import { Module } from '@nestjs/common';
import { CancelJobHandler, ExecuteJobHandler } from './runs.commands.js';
import { FindRunsHandler, GetRunHandler, ListRunsHandler, RunLogsHandler, TaskHistoryHandler } from './runs.queries.js';

@Module({
  providers: [ExecuteJobHandler, CancelJobHandler, GetRunHandler, ListRunsHandler, TaskHistoryHandler, RunLogsHandler, FindRunsHandler],
})
export class RunsModule {}
