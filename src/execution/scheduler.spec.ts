import { jest } from '@jest/globals';
import { CronExpressionParser } from 'cron-parser';
import { latestSlot, nextRunAt } from './scheduler.js';

const job = (cron: string, timezone = 'UTC') => ({ schedule: { enabled: true, cron, timezone }, lastSlot: null });
const at = (iso: string) => new Date(iso);

describe('the slots of a schedule', () => {
  afterEach(() => jest.restoreAllMocks());

  it('answers the latest and the next slot on both sides of a slot, and on it', () => {
    const nightly = job('0 2 * * *');
    expect(latestSlot(nightly.schedule, at('2026-03-01T01:59:59.999Z'))).toBe('2026-02-28T02:00:00.000Z');
    expect(nextRunAt(nightly, at('2026-03-01T01:59:59.999Z'))).toBe('2026-03-01T02:00:00.000Z');
    expect(latestSlot(nightly.schedule, at('2026-03-01T02:00:00.000Z'))).toBe('2026-03-01T02:00:00.000Z');
    expect(nextRunAt(nightly, at('2026-03-01T02:00:00.000Z'))).toBe('2026-03-02T02:00:00.000Z');
    expect(nextRunAt(nightly, at('2026-03-01T13:00:00.000Z'))).toBe('2026-03-02T02:00:00.000Z');
    // Back in time (another caller's clock): not the answer kept for later.
    expect(latestSlot(nightly.schedule, at('2026-02-27T12:00:00.000Z'))).toBe('2026-02-27T02:00:00.000Z');
  });

  it('reads the same expression in each zone apart', () => {
    const now = at('2026-07-01T12:00:00.000Z');
    expect(nextRunAt(job('0 2 * * *', 'UTC'), now)).toBe('2026-07-02T02:00:00.000Z');
    expect(nextRunAt(job('0 2 * * *', 'Europe/Paris'), now)).toBe('2026-07-02T00:00:00.000Z');
    expect(nextRunAt(job('0 2 * * *', 'America/New_York'), now)).toBe('2026-07-02T06:00:00.000Z');
  });

  it('parses an expression once between two of its slots, however often it is asked', () => {
    const parse = jest.spyOn(CronExpressionParser, 'parse');
    const hourly = job('17 * * * *', 'Asia/Tokyo');
    for (let minute = 20; minute < 60; minute++) nextRunAt(hourly, at(`2026-05-05T10:${minute}:00.000Z`));
    const once = parse.mock.calls.length;
    expect(nextRunAt(hourly, at('2026-05-05T11:17:00.000Z'))).toBe('2026-05-05T12:17:00.000Z');
    expect(once).toBeGreaterThan(0);
    expect(parse.mock.calls.length).toBe(once * 2);
  });

  it('has no next slot for a schedule that is off', () => {
    expect(nextRunAt({ ...job('0 2 * * *'), schedule: { enabled: false, cron: '0 2 * * *', timezone: 'UTC' } }, new Date())).toBeNull();
  });
});
