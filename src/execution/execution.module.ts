import { Module } from '@nestjs/common';
import { RunWorker } from './run-worker.js';
import { Scheduler } from './scheduler.js';

/** Runs jobs: the worker pool (with recovery of abandoned runs) and the cron scheduler. */
@Module({ providers: [RunWorker, Scheduler] })
export class ExecutionModule {}
