import type { Upcaster } from '../core/upcasters.js';
import type { RunPlan } from './run.decider.js';

/** Version 1 of RunQueued named the one admin token of the time `admin`; version 2 names it `token:admin`, like every actor. */
export const RUN_UPCASTERS: Upcaster[] = [
  {
    type: 'RunQueued',
    fromVersion: 1,
    up: ({ data, metadata }) => {
      const plan = data as RunPlan;
      return { data: plan.requestedBy === 'admin' ? { ...plan, requestedBy: 'token:admin' } : plan, metadata };
    },
  },
];
