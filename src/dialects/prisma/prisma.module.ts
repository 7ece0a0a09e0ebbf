import { Module } from '@nestjs/common';
import { PrismaDataSyncController } from './datasync.controller.js';
import { PrismaGuard } from './prisma.guard.js';

@Module({ controllers: [PrismaDataSyncController], providers: [PrismaGuard] })
export class PrismaModule {}
