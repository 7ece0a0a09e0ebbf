import type { JobChanges, JobDefinition } from './job.model.js';

/** A job definition with the fields a change sets (undefined means "leave as is"). */
export function applyChanges(current: JobDefinition, changes: JobChanges): JobDefinition {
  const { schedule, settings, ...rest } = changes;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  return {
    name: current.name,
    type: current.type,
    enabled: current.enabled,
    sourceConnectionId: current.sourceConnectionId,
    destinationConnectionId: current.destinationConnectionId,
    ...defined,
    schedule: { ...current.schedule, ...definedOnly(schedule) },
    settings: { ...current.settings, ...definedOnly(settings) },
  };
}

export function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Only what differs between two definitions: what a JobUpdated event records. */
export function diff(before: JobDefinition, after: JobDefinition): JobChanges {
  const changes: JobChanges = {};
  for (const key of ['name', 'type', 'enabled', 'sourceConnectionId', 'destinationConnectionId'] as const) {
    if (before[key] !== after[key]) Object.assign(changes, { [key]: after[key] });
  }
  const schedule = changedKeys(before.schedule, after.schedule);
  if (schedule) changes.schedule = schedule;
  const settings = changedKeys(before.settings, after.settings);
  if (settings) changes.settings = settings;
  return changes;
}

function changedKeys<T extends object>(before: T, after: T): Partial<T> | undefined {
  const out = Object.fromEntries(
    Object.entries(after).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify((before as Record<string, unknown>)[k])),
  ) as Partial<T>;
  return Object.keys(out).length ? out : undefined;
}
