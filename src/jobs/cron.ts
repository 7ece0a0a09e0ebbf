import { CronExpressionParser } from 'cron-parser';
import { DomainError } from '../core/errors.js';
import type { Schedule } from './job.model.js';

/**
 * Checks a schedule: five cron fields, or six with seconds first; Quartz's `?` is accepted.
 * An empty cron is allowed only while the schedule is disabled.
 */
export function validateSchedule(schedule: Schedule): void {
  if (typeof schedule.enabled !== 'boolean') throw new DomainError('JOB.CRON_INVALID', 'schedule.enabled must be true or false', 'schedule.enabled');
  for (const key of ['cron', 'timezone'] as const) {
    if (typeof schedule[key] !== 'string') throw new DomainError('JOB.CRON_INVALID', `schedule.${key} must be a string`, `schedule.${key}`);
  }
  if (!isValidTimeZone(schedule.timezone)) {
    throw new DomainError('JOB.CRON_INVALID', `schedule.timezone "${schedule.timezone}" is not an IANA time zone`, 'schedule.timezone');
  }
  if (schedule.cron === '') {
    if (schedule.enabled) throw new DomainError('JOB.CRON_INVALID', 'schedule.cron is required when the schedule is enabled', 'schedule.cron');
    return;
  }
  const fields = schedule.cron.trim().split(/\s+/).length;
  if (fields < 5 || fields > 6) {
    throw new DomainError('JOB.CRON_INVALID', `schedule.cron "${schedule.cron}" must have 5 fields (or 6 with seconds first), not ${fields}`, 'schedule.cron');
  }
  try {
    CronExpressionParser.parse(schedule.cron, { tz: schedule.timezone });
  } catch (error) {
    throw new DomainError('JOB.CRON_INVALID', `schedule.cron "${schedule.cron}" is invalid: ${(error as Error).message}`, 'schedule.cron');
  }
}

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
