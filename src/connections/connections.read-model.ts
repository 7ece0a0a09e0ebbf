import type { Doc } from '../core/read-store.js';
import type { ConnectionDefinition } from './connection.decider.js';

export interface ConnectionDoc extends Doc, ConnectionDefinition {
  workspaceId: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export const CONNECTIONS = 'connections';
