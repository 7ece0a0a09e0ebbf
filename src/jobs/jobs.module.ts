import { Module } from '@nestjs/common';
import { ChangeJobHandler } from './jobs.commands.js';
import { GetJobHandler, ListJobsHandler } from './jobs.queries.js';

@Module({ providers: [ChangeJobHandler, GetJobHandler, ListJobsHandler] })
export class JobsModule {}
