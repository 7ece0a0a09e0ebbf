import type { DataSyncView } from '../../datasyncs/datasyncs.queries.js';
import type { JobDoc } from '../../jobs/jobs.read-model.js';
import type { RunDoc } from '../../runs/runs.read-model.js';
import { prismaTime, toPrismaLaunch, toPrismaStatus } from './prisma.mapping.js';

const run = (changes: Partial<RunDoc>) =>
  ({ id: 'r', number: 1642190400001, jobId: 'j', status: 'queued', queuedAt: '2022-01-14T20:00:00.123Z', startedAt: null, error: null, cancelledBy: null, ...changes }) as RunDoc;

const view = (job: Partial<JobDoc>, latestLaunch: RunDoc | null = null, nextLaunch: string | null = null) =>
  ({ id: 'j', kind: 'export', job: { name: 'Datasync Name', enabled: true, schedule: { enabled: false, cron: '', timezone: 'UTC' }, lastSlot: null, ...job }, latestLaunch, nextLaunch }) as unknown as DataSyncView;

describe('Prisma launch mapping', () => {
  it("writes times in UTC without offset or fraction, as the seed's 2022-01-14T20:00:00", () => {
    expect(prismaTime('2022-01-14T20:00:00.123Z')).toBe('2022-01-14T20:00:00');
  });

  it('maps statuses to Prisma words, with a message for cancelled and failed launches only', () => {
    expect(toPrismaLaunch(run({}))).toEqual({ id: 1642190400001, status: 'scheduled', 'scheduled-time': '2022-01-14T20:00:00' });
    const started = { startedAt: '2022-01-14T20:00:01.500Z' };
    expect(toPrismaLaunch(run({ ...started, status: 'running' }))).toEqual({ id: 1642190400001, status: 'running', 'scheduled-time': '2022-01-14T20:00:00', 'started-at': '2022-01-14T20:00:01' });
    expect(toPrismaLaunch(run({ ...started, status: 'cancelling' })).status).toBe('running');
    expect(toPrismaLaunch(run({ ...started, status: 'succeeded' }))).not.toHaveProperty('status-message');
    expect(toPrismaLaunch(run({ ...started, status: 'succeeded' })).status).toBe('finished');
    expect(toPrismaLaunch(run({ status: 'cancelled', cancelledBy: 'user:admin@prismacampaigns.com' }))).toMatchObject({ status: 'cancelled', 'status-message': 'Cancelled by user: admin@prismacampaigns.com' });
    expect(toPrismaLaunch(run({ status: 'cancelled', cancelledBy: 'token:ops-bot' }))['status-message']).toBe('Cancelled by user: ops-bot');
    expect(toPrismaLaunch(run({ status: 'failed', error: 'Line 3, column amount: "x" is not an integer' }))).toMatchObject({ status: 'cancelled', 'status-message': 'Line 3, column amount: "x" is not an integer' });
  });

  it('leaves out the latest and next launch while there is none', () => {
    expect(toPrismaStatus(view({}))).toEqual({ name: 'Datasync Name', status: 'enabled' });
    expect(toPrismaStatus(view({ enabled: false }))).toEqual({ name: 'Datasync Name', status: 'disabled' });
  });

  it("gives the view's next launch in Prisma's time", () => {
    expect(toPrismaStatus(view({}, run({}), '2022-01-17T13:00:00.000Z'))).toEqual({
      name: 'Datasync Name',
      status: 'enabled',
      'latest-launch': { id: 1642190400001, status: 'scheduled', 'scheduled-time': '2022-01-14T20:00:00' },
      'next-launch': '2022-01-17T13:00:00',
    });
  });
});
