import type { ConnectionKind, ConnectionSettings } from '../../connections/connection.decider.js';
import type { Connector } from './connector.js';
import { CsvConnector } from './csv.connector.js';
import { connectorLimits } from './limits.js';
import { PostgresConnector } from './postgres.connector.js';
import { SqliteConnector } from './sqlite.connector.js';

/** Opens a connection's store; a source must already exist, a destination is created when it can be. */
export function openConnector(kind: ConnectionKind, settings: ConnectionSettings, role: 'source' | 'destination'): Connector {
  switch (kind) {
    case 'csv':
      return CsvConnector.open(String(settings.path), role === 'source', connectorLimits(settings));
    case 'sqlite':
      return SqliteConnector.open(String(settings.path), role === 'source');
    case 'postgres':
      return new PostgresConnector(String(settings.url), connectorLimits(settings));
  }
}
