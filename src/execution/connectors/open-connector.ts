import { join } from 'node:path';
import type { ConnectionAccess } from '../../config/settings.js';
import { confineSettings } from '../../connections/connection-paths.js';
import type { ConnectionKind, ConnectionSettings } from '../../connections/connection.decider.js';
import { revealSettings } from '../../core/secrets.js';
import type { Connector } from './connector.js';
import { CsvConnector } from './csv.connector.js';
import { connectorLimits } from './limits.js';
import { PostgresConnector } from './postgres.connector.js';
import { SqliteConnector } from './sqlite.connector.js';

/**
 * Opens a connection's store; a source must already exist, a destination is created when it can be.
 * The only place secrets are decrypted, and paths are confined again here since links may have changed.
 */
export function openConnector(kind: ConnectionKind, stored: ConnectionSettings, role: 'source' | 'destination', access: ConnectionAccess): Connector {
  const settings = confineSettings(kind, revealSettings(access.secretKeys, stored), access);
  switch (kind) {
    case 'csv':
      return CsvConnector.open(String(settings.path), role === 'source', connectorLimits(settings));
    case 'sqlite':
      return SqliteConnector.open(String(settings.path), role === 'source');
    case 'postgres':
      return new PostgresConnector(withPassword(String(settings.url), settings.password), connectorLimits(settings));
  }
}

/** What a step reads or writes: a user's connection, or a SQLite file of Sluice's own (a Siren ingestion's default target). */
export type Store = { kind: ConnectionKind; settings: ConnectionSettings } | { embedded: string };

/** Where Siren ingestions without a target datasource load: one SQLite file in the data dir, a table per target. */
export const embeddedTarget = (dataDir: string) => join(dataDir, 'ingestions.sqlite');

export function openStore(store: Store, role: 'source' | 'destination', access: ConnectionAccess): Connector {
  return 'embedded' in store ? SqliteConnector.open(store.embedded, false) : openConnector(store.kind, store.settings, role, access);
}

/** A separate `password` setting goes into the URL, replacing any password the URL has. */
function withPassword(url: string, password: unknown): string {
  if (typeof password !== 'string') return url;
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}
