import { Module } from '@nestjs/common';
import { DocumentAsOfHandler, JobAuditHandler } from './audit.queries.js';

@Module({ providers: [JobAuditHandler, DocumentAsOfHandler] })
export class AuditModule {}
