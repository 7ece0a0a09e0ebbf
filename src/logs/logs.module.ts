import { Module } from '@nestjs/common';
import { LogRetention } from './log-retention.js';
import { SearchLogsHandler } from './logs.queries.js';

/** Log search across runs, and the retention that drops old lines from the read model. */
@Module({ providers: [SearchLogsHandler, LogRetention], exports: [LogRetention] })
export class LogsModule {}
