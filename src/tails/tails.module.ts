import { Module } from '@nestjs/common';
import { LiveLog } from './live-log.js';
import { RunLogTail } from './run-log-tail.js';
import { RunStatusChanges } from './run-status.js';
import { RunStatusFeed } from './run-status-feed.js';

/** Live tails over one shared subscription to the log: a run's log lines, and run status changes. */
@Module({
  providers: [LiveLog, RunLogTail, RunStatusChanges, RunStatusFeed],
  exports: [LiveLog, RunLogTail, RunStatusFeed],
})
export class TailsModule {}
