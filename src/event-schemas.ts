import { CONNECTION_UPCASTERS } from './connections/connection.upcasters.js';
import type { Upcaster } from './core/upcasters.js';

/**
 * Every upcaster Sluice knows, from every feature. An event type's current schema version is one more than
 * the highest `fromVersion` listed for it (1 when none is).
 */
export const UPCASTERS: Upcaster[] = [...CONNECTION_UPCASTERS];
