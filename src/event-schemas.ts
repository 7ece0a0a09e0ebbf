import { CONNECTION_UPCASTERS } from './connections/connection.upcasters.js';
import type { AnyUpcaster } from './core/upcasters.js';
import { LEGACY_ACTORS } from './identity/actor.upcaster.js';
import { JOB_UPCASTERS } from './jobs/job.upcasters.js';
import { RUN_UPCASTERS } from './runs/run.upcasters.js';

/**
 * Every upcaster Sluice knows, from every feature. An event type's current schema version is one more than
 * the highest `fromVersion` listed for it (1 when none is).
 */
export const UPCASTERS: AnyUpcaster[] = [LEGACY_ACTORS, ...CONNECTION_UPCASTERS, ...JOB_UPCASTERS, ...RUN_UPCASTERS];
