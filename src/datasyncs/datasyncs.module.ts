import { Module } from '@nestjs/common';
import {
  CreateDataSyncHandler,
  DeleteDataSyncHandler,
  IssueDataSyncTokenHandler,
  LaunchDataSyncHandler,
  RevokeDataSyncTokenHandler,
  UpdateDataSyncHandler,
} from './datasyncs.commands.js';
import { DataSyncLaunchesHandler, DataSyncNeedsTokenHandler, GetDataSyncHandler, LaunchFileHandler, ListDataSyncsHandler } from './datasyncs.queries.js';

@Module({
  providers: [
    CreateDataSyncHandler,
    UpdateDataSyncHandler,
    DeleteDataSyncHandler,
    IssueDataSyncTokenHandler,
    RevokeDataSyncTokenHandler,
    LaunchDataSyncHandler,
    GetDataSyncHandler,
    ListDataSyncsHandler,
    DataSyncLaunchesHandler,
    LaunchFileHandler,
    DataSyncNeedsTokenHandler,
  ],
})
export class DataSyncsModule {}
