import { given } from '../core/given.js';
import { type WorkspaceEvent, workspaceDecider } from './workspace.decider.js';

const conn = (connectionId: string, name: string): WorkspaceEvent => ({ type: 'ConnectionRegistered', data: { connectionId, name } });
const job = (jobId: string, name: string, connectionIds: string[]): WorkspaceEvent => ({
  type: 'JobRegistered',
  data: { jobId, name, connectionIds },
});

describe('workspace decider', () => {
  it('rejects a duplicate job name in the workspace, whatever its case', () => {
    given(workspaceDecider, [conn('c1', 'src'), job('j1', 'Nightly', ['c1'])])
      .when({ type: 'RegisterJob', data: { jobId: 'j2', name: 'nightly', connectionIds: [] } })
      .thenThrows('JOB.NAME_TAKEN');
  });

  it('lets a job keep its own name when it changes its connections', () => {
    given(workspaceDecider, [conn('c1', 'a'), conn('c2', 'b'), job('j1', 'Nightly', ['c1'])])
      .when({ type: 'ChangeJobRegistration', data: { jobId: 'j1', name: 'Nightly', connectionIds: ['c2'] } })
      .then([{ type: 'JobRegistrationChanged', data: { jobId: 'j1', name: 'Nightly', connectionIds: ['c2'] } }]);
  });

  it('rejects a job that references a connection outside the workspace', () => {
    given(workspaceDecider, [conn('c1', 'a')])
      .when({ type: 'RegisterJob', data: { jobId: 'j1', name: 'x', connectionIds: ['c1', 'elsewhere'] } })
      .thenThrows('CONNECTION.NOT_IN_WORKSPACE', /elsewhere/);
  });

  it('refuses to unregister a connection a job uses, and allows it once the job is gone', () => {
    const history = [conn('c1', 'a'), job('j1', 'Nightly', ['c1'])];
    given(workspaceDecider, history).when({ type: 'UnregisterConnection', data: { connectionId: 'c1' } }).thenThrows('CONNECTION.IN_USE', /Nightly/);
    given(workspaceDecider, [...history, { type: 'JobUnregistered', data: { jobId: 'j1' } }])
      .when({ type: 'UnregisterConnection', data: { connectionId: 'c1' } })
      .then([{ type: 'ConnectionUnregistered', data: { connectionId: 'c1' } }]);
  });

  it('rejects a duplicate connection name', () => {
    given(workspaceDecider, [conn('c1', 'warehouse')])
      .when({ type: 'RegisterConnection', data: { connectionId: 'c2', name: 'Warehouse' } })
      .thenThrows('CONNECTION.NAME_TAKEN');
  });
});
