import type { Upcaster } from '../core/upcasters.js';
import { DEFAULT_SETTINGS, type JobDefinition } from './job.model.js';

/**
 * Version 1 of JobCreated predates disabling jobs (every job it created was enabled) and the settings added
 * since (`log_retention_runs`), which take their defaults.
 */
export const JOB_UPCASTERS: Upcaster[] = [
  {
    type: 'JobCreated',
    fromVersion: 1,
    up: ({ data, metadata }) => {
      const created = data as JobDefinition;
      return { data: { ...created, enabled: created.enabled ?? true, settings: { ...DEFAULT_SETTINGS, ...created.settings } }, metadata };
    },
  },
];
