import { auditProjection } from './audit.projection.js';
import { connectionsProjection } from './connections.projection.js';
import { identityProjection } from './identity.projection.js';
import { jobsProjection } from './jobs.projection.js';
import { logsProjection } from './logs.projection.js';
import type { Projection } from './projection.js';
import { runsProjection } from './runs.projection.js';

/** Every read model Sluice keeps. */
export const PROJECTIONS: Projection[] = [jobsProjection, connectionsProjection, runsProjection, logsProjection, auditProjection, identityProjection];
