import { given } from '../core/given.js';
import { ClaimRefused, holds, type WorkspaceCommand, type WorkspaceEvent, workspaceDecider } from './workspace.decider.js';

const connClaimed = (connectionId: string, name: string, basedOn = -1): WorkspaceEvent => ({ type: 'ConnectionClaimed', data: { connectionId, basedOn, name } });
const connSettled = (connectionId: string, name: string | null, revision = 0): WorkspaceEvent => ({
  type: 'ConnectionClaimsSettled',
  data: { connectionId, revision, holds: name === null ? null : { name } },
});
const jobClaimed = (jobId: string, name: string, connectionIds: string[], basedOn = -1): WorkspaceEvent => ({ type: 'JobClaimed', data: { jobId, basedOn, name, connectionIds } });
const jobSettled = (jobId: string, name: string | null, connectionIds: string[] = [], revision = 0): WorkspaceEvent => ({
  type: 'JobClaimsSettled',
  data: { jobId, revision, holds: name === null ? null : { name, connectionIds } },
});
const claimJob = (jobId: string, name: string, connectionIds: string[] = [], basedOn = -1): WorkspaceCommand => ({
  type: 'ClaimJob',
  data: { jobId, basedOn, name, connectionIds },
});
const c1 = [connClaimed('c1', 'src'), connSettled('c1', 'src')];

describe('workspace decider', () => {
  it('claims a job name and its connections', () => {
    given(workspaceDecider, c1).when(claimJob('j1', 'Nightly', ['c1'])).then([jobClaimed('j1', 'Nightly', ['c1'])]);
  });

  it('refuses a job name another job holds, whatever its case, naming the holder', () => {
    const history = [...c1, jobClaimed('j1', 'Nightly', ['c1']), jobSettled('j1', 'Nightly', ['c1'])];
    given(workspaceDecider, history).when(claimJob('j2', ' nightly')).thenThrows('JOB.NAME_TAKEN');
    const error = catching(() => workspaceDecider.decide(claimJob('j2', 'NIGHTLY'), fold(history)));
    expect(error).toBeInstanceOf(ClaimRefused);
    expect(error).toMatchObject({ resource: { name: 'NIGHTLY' }, holders: [{ kind: 'job', id: 'j1' }] });
  });

  it('refuses a name that is only claimed: the change claiming it may still land', () => {
    given(workspaceDecider, [jobClaimed('j1', 'Nightly', [])]).when(claimJob('j2', 'Nightly')).thenThrows('JOB.NAME_TAKEN');
  });

  it('lets a job keep its own name when it changes its connections', () => {
    const history = [...c1, connClaimed('c2', 'dst'), jobClaimed('j1', 'Nightly', ['c1']), jobSettled('j1', 'Nightly', ['c1'])];
    given(workspaceDecider, history).when(claimJob('j1', 'Nightly', ['c2'], 0)).then([jobClaimed('j1', 'Nightly', ['c2'], 0)]);
  });

  it('holds the old and the new name while a rename is in flight, and only the new one once it is settled', () => {
    const renaming = [jobClaimed('j1', 'Old', []), jobSettled('j1', 'Old'), jobClaimed('j1', 'New', [], 0)];
    given(workspaceDecider, renaming).when(claimJob('j2', 'Old')).thenThrows('JOB.NAME_TAKEN');
    given(workspaceDecider, renaming).when(claimJob('j2', 'New')).thenThrows('JOB.NAME_TAKEN');
    const renamed = [...renaming, jobSettled('j1', 'New', [], 1)];
    given(workspaceDecider, renamed).when(claimJob('j2', 'Old')).then([jobClaimed('j2', 'Old', [])]);
  });

  it('keeps a claim decided on the revision being settled (its change may still land), drops older ones', () => {
    const state = fold([jobClaimed('j1', 'A', []), jobSettled('j1', 'A'), jobClaimed('j1', 'B', [], 0), jobClaimed('j1', 'C', [], 1)]);
    expect(holds(state.jobs.j1).names).toEqual(['A', 'B', 'C']);
    const settled = workspaceDecider.decide({ type: 'SettleJob', data: { jobId: 'j1', revision: 1, holds: { name: 'B', connectionIds: [] } } }, state);
    expect(holds(settled.reduce(workspaceDecider.evolve, state).jobs.j1).names).toEqual(['B', 'C']);
  });

  it('releases everything of a job settled as gone (never created, or deleted)', () => {
    const orphan = [...c1, jobClaimed('j1', 'Nightly', ['c1'])];
    given(workspaceDecider, orphan)
      .when({ type: 'SettleJob', data: { jobId: 'j1', revision: 0, holds: null } })
      .then([jobSettled('j1', null, [], 0)]);
    const released = [...orphan, jobSettled('j1', null, [], 0)];
    given(workspaceDecider, released).when(claimJob('j2', 'Nightly')).then([jobClaimed('j2', 'Nightly', [])]);
    given(workspaceDecider, released).when({ type: 'RetireConnection', data: { connectionId: 'c1' } }).then([{ type: 'ConnectionRetired', data: { connectionId: 'c1' } }]);
  });

  it('ignores a settle older than the one recorded: two settles can arrive out of order', () => {
    const history = [jobClaimed('j1', 'A', []), jobSettled('j1', 'B', [], 5)];
    given(workspaceDecider, history).when({ type: 'SettleJob', data: { jobId: 'j1', revision: 3, holds: { name: 'A', connectionIds: [] } } }).then([]);
  });

  it('refuses a connection outside the workspace, or one being deleted', () => {
    given(workspaceDecider, c1).when(claimJob('j1', 'x', ['c1', 'elsewhere'])).thenThrows('CONNECTION.NOT_IN_WORKSPACE', /elsewhere/);
    given(workspaceDecider, [...c1, { type: 'ConnectionRetired', data: { connectionId: 'c1' } }]).when(claimJob('j1', 'x', ['c1'])).thenThrows('CONNECTION.DELETING');
  });

  it('refuses to retire a connection a job uses or claims, naming the job, and allows it once the job is gone', () => {
    const history = [...c1, jobClaimed('j1', 'Nightly', ['c1'])];
    given(workspaceDecider, history).when({ type: 'RetireConnection', data: { connectionId: 'c1' } }).thenThrows('CONNECTION.IN_USE', /Nightly/);
    given(workspaceDecider, [...history, jobSettled('j1', 'Nightly', [])])
      .when({ type: 'RetireConnection', data: { connectionId: 'c1' } })
      .then([{ type: 'ConnectionRetired', data: { connectionId: 'c1' } }]);
  });

  it('keeps a retired connection retired and its name held until it is settled as deleted', () => {
    const retired = [...c1, { type: 'ConnectionRetired', data: { connectionId: 'c1' } } as WorkspaceEvent];
    given(workspaceDecider, retired).when({ type: 'ClaimConnection', data: { connectionId: 'c2', basedOn: -1, name: 'SRC' } }).thenThrows('CONNECTION.NAME_TAKEN');
    given(workspaceDecider, retired).when({ type: 'RetireConnection', data: { connectionId: 'c1' } }).then([]);
    given(workspaceDecider, [...retired, connSettled('c1', null, 1)])
      .when({ type: 'ClaimConnection', data: { connectionId: 'c2', basedOn: -1, name: 'SRC' } })
      .then([connClaimed('c2', 'SRC')]);
  });

  it('still folds the events written before claims existed', () => {
    const legacy: WorkspaceEvent[] = [
      { type: 'ConnectionRegistered', data: { connectionId: 'c1', name: 'a' } },
      { type: 'ConnectionRegistered', data: { connectionId: 'c2', name: 'b' } },
      { type: 'ConnectionRenamed', data: { connectionId: 'c2', name: 'warehouse' } },
      { type: 'JobRegistered', data: { jobId: 'j1', name: 'Nightly', connectionIds: ['c1'] } },
      { type: 'JobRegistered', data: { jobId: 'j2', name: 'Gone', connectionIds: ['c2'] } },
      { type: 'JobRegistrationChanged', data: { jobId: 'j1', name: 'Daily', connectionIds: ['c1'] } },
      { type: 'JobUnregistered', data: { jobId: 'j2' } },
      { type: 'ConnectionUnregistered', data: { connectionId: 'c2' } },
    ];
    given(workspaceDecider, legacy).when(claimJob('j3', 'daily')).thenThrows('JOB.NAME_TAKEN');
    given(workspaceDecider, legacy).when(claimJob('j3', 'Nightly')).then([jobClaimed('j3', 'Nightly', [])]);
    given(workspaceDecider, legacy).when(claimJob('j3', 'x', ['c2'])).thenThrows('CONNECTION.NOT_IN_WORKSPACE');
    given(workspaceDecider, legacy).when({ type: 'RetireConnection', data: { connectionId: 'c1' } }).thenThrows('CONNECTION.IN_USE', /Daily/);
    given(workspaceDecider, legacy).when({ type: 'ClaimConnection', data: { connectionId: 'c9', basedOn: -1, name: 'Warehouse' } }).then([connClaimed('c9', 'Warehouse')]);
    // A legacy registration whose job never got created is released like any claim.
    given(workspaceDecider, legacy).when({ type: 'SettleJob', data: { jobId: 'j1', revision: 0, holds: null } }).then([jobSettled('j1', null)]);
  });
});

function fold(events: WorkspaceEvent[]) {
  return events.reduce(workspaceDecider.evolve, workspaceDecider.initialState);
}

function catching(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}
