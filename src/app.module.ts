import { type DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import type { Settings } from './config/settings.js';
import { AuditModule } from './audit/audit.module.js';
import { ConnectionsModule } from './connections/connections.module.js';
import { CDataModule } from './dialects/cdata/cdata.module.js';
import { EtlworksModule } from './dialects/etlworks/etlworks.module.js';
import { JitsuModule } from './dialects/jitsu/jitsu.module.js';
import { NativeModule } from './dialects/native/native.module.js';
import { PrismaModule } from './dialects/prisma/prisma.module.js';
import { SirenModule } from './dialects/siren/siren.module.js';
import { IngestionsModule } from './ingestions/ingestions.module.js';
import { DeclarationsModule } from './declarations/declarations.module.js';
import { DataSyncsModule } from './datasyncs/datasyncs.module.js';
import { HealthModule } from './health/health.module.js';
import { ProjectionsModule } from '../projections/projections.module.js';
import { ExecutionModule } from './execution/execution.module.js';
import { UPCASTERS } from './event-schemas.js';
import { StoresModule } from './infrastructure/stores.module.js';
import { IdentityModule } from './identity/identity.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { LogsModule } from './logs/logs.module.js';
import { RunsModule } from './runs/runs.module.js';

@Module({})
export class AppModule {
  static create(settings: Settings): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        StoresModule.forRoot(settings, UPCASTERS),
        IdentityModule,
        ProjectionsModule,
        JobsModule,
        ConnectionsModule,
        RunsModule,
        AuditModule,
        LogsModule,
        ExecutionModule,
        DeclarationsModule,
        DataSyncsModule,
        IngestionsModule,
        CDataModule,
        JitsuModule,
        EtlworksModule,
        PrismaModule,
        SirenModule,
        NativeModule,
        HealthModule,
      ],
    };
  }
}
