import { Module } from '@nestjs/common';
import { ChangeJobHandler } from './jobs.commands.js';
import { GetJobHandler, GetTaskHandler, JobAsOfHandler, ListJobsHandler } from './jobs.queries.js';

@Module({ providers: [ChangeJobHandler, GetJobHandler, GetTaskHandler, ListJobsHandler, JobAsOfHandler] })
export class JobsModule {}
