import { auditProjection } from './audit.projection.js';
import type { Settings } from '../src/config/settings.js';
import { connectionsProjection } from './connections.projection.js';
import { identityProjection } from './identity.projection.js';
import { jobsProjection } from './jobs.projection.js';
import { logsProjectionKeeping } from './logs.projection.js';
import type { Projection } from './projection.js';
import { runsProjection } from './runs.projection.js';

/** Every read model Sluice keeps, as the settings shape them (the log retention leaves old lines out). */
export function projectionsFor(settings: Pick<Settings, 'logRetentionDays'>): Projection[] {
  return [jobsProjection, connectionsProjection, runsProjection, logsProjectionKeeping(settings.logRetentionDays), auditProjection, identityProjection];
}

/** Every read model Sluice keeps, with every log line. */
export const PROJECTIONS: Projection[] = projectionsFor({});
