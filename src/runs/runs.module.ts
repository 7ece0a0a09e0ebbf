import { Module } from '@nestjs/common';
import { CancelJobHandler, CancelRunHandler, ExecuteJobHandler } from './runs.commands.js';
import { FindRunsHandler, GetRunHandler, ListRunsHandler, RunLogsHandler, TaskHistoryHandler } from './runs.queries.js';

@Module({
  providers: [ExecuteJobHandler, CancelJobHandler, CancelRunHandler, GetRunHandler, ListRunsHandler, TaskHistoryHandler, RunLogsHandler, FindRunsHandler],
})
export class RunsModule {}
