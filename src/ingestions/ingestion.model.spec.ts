import { CronExpressionParser } from 'cron-parser';
import { ingestionJob, type IngestionSpec, quartzOf } from './ingestion.model.js';

const spec = (schedule: string): IngestionSpec => ({
  datasource: 'pg',
  query: 'SELECT * FROM events',
  target: 'events',
  targetDatasource: null,
  pkField: 'id',
  strategy: 'INCREMENTAL',
  batchSize: null,
  schedule,
  enableScheduler: true,
  description: null,
});
const cronOf = (schedule: string) => ingestionJob('events', spec(schedule)).definition.schedule.cron;
/** The weekday names of the next `count` firings after Monday 2026-12-07 00:00 UTC. */
const nextDays = (schedule: string, count = 3) => {
  const cron = CronExpressionParser.parse(cronOf(schedule), { currentDate: new Date('2026-12-07T00:00:00Z'), tz: 'UTC' });
  return Array.from({ length: count }, () => cron.next().toDate().toLocaleDateString('en-US', { weekday: 'short', timeZone: 'UTC' }));
};

describe("Siren ingestion schedules (Quartz's cron)", () => {
  it('reads day-of-week numbers as Quartz does: 1 is Sunday, 7 Saturday', () => {
    expect(nextDays('0 0 12 ? * 1', 1)).toEqual(['Sun']);
    expect(nextDays('0 0 12 ? * 7', 1)).toEqual(['Sat']);
    expect(nextDays('0 0 12 ? * 2-6', 5)).toEqual(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']);
    expect(nextDays('0 0 12 ? * 1,7', 2)).toEqual(['Sat', 'Sun']);
    expect(nextDays('0 0 12 ? * MON-FRI', 2)).toEqual(['Mon', 'Tue']);
  });

  it('keeps the counts of nth-weekday, last-weekday and step forms, moving only the day numbers', () => {
    expect(cronOf('0 0 12 ? * 2#1')).toBe('0 0 12 ? * 1#1');
    expect(cronOf('0 0 12 ? * 6L')).toBe('0 0 12 ? * 5L');
    expect(cronOf('0 0 12 ? * 1/2')).toBe('0 0 12 ? * 0/2');
    expect(cronOf('0 0 * * * ?')).toBe('0 0 * * * ?');
    expect(cronOf('0 0 * * * ? *')).toBe('0 0 * * * ?');
  });

  it('gives the Quartz cron back as it was written, for GET', () => {
    for (const quartz of ['0 0 12 ? * 1', '0 0 12 ? * 2-6', '0 0 12 ? * 2#1', '0 0 12 ? * 6L', '0 0 12 ? * 1,7', '0 0 12 ? * MON-FRI', '0 0 * * * ?', '0 */5 * * * ?']) {
      expect(quartzOf(cronOf(quartz))).toBe(quartz);
    }
  });

  it('refuses a five-field Unix cron and a year other than *, naming the field', () => {
    expect(() => cronOf('0 0 * * *')).toThrow(/not a Quartz cron: it has 6 fields/);
    expect(() => cronOf('0 0 * * * ? 2030')).toThrow(/year field/);
  });
});
