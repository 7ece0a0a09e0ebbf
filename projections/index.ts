import { connectionsProjection } from './connections.projection.js';
import { jobsProjection } from './jobs.projection.js';
import type { Projection } from './projection.js';

/** Every read model Sluice keeps. */
export const PROJECTIONS: Projection[] = [jobsProjection, connectionsProjection];
