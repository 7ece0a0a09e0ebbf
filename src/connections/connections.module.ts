import { Module } from '@nestjs/common';
import { ChangeConnectionHandler } from './connections.commands.js';
import { GetConnectionHandler, ListConnectionsHandler } from './connections.queries.js';

@Module({ providers: [ChangeConnectionHandler, GetConnectionHandler, ListConnectionsHandler] })
export class ConnectionsModule {}
