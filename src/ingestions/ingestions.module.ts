import { Module } from '@nestjs/common';
import { PutDatasourceHandler, PutIngestionHandler } from './ingestions.commands.js';
import { ActiveExecutionHandler, LastExecutionHandler, SearchExecutionsHandler } from './ingestions.queries.js';

@Module({ providers: [PutDatasourceHandler, PutIngestionHandler, SearchExecutionsHandler, ActiveExecutionHandler, LastExecutionHandler] })
export class IngestionsModule {}
