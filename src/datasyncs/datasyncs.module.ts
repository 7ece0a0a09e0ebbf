import { Module } from '@nestjs/common';
import {
  CreateDataSyncHandler,
  DeleteDataSyncHandler,
  IssueDataSyncTokenHandler,
  LaunchDataSyncHandler,
  LaunchDataSyncUploadHandler,
  RevokeDataSyncTokenHandler,
  UpdateDataSyncHandler,
} from './datasyncs.commands.js';
import { DataSyncAccessHandler, DataSyncLaunchesHandler, GetDataSyncHandler, LaunchFileHandler, ListDataSyncsHandler } from './datasyncs.queries.js';

@Module({
  providers: [
    CreateDataSyncHandler,
    UpdateDataSyncHandler,
    DeleteDataSyncHandler,
    IssueDataSyncTokenHandler,
    RevokeDataSyncTokenHandler,
    LaunchDataSyncHandler,
    LaunchDataSyncUploadHandler,
    GetDataSyncHandler,
    ListDataSyncsHandler,
    DataSyncLaunchesHandler,
    LaunchFileHandler,
    DataSyncAccessHandler,
  ],
})
export class DataSyncsModule {}
