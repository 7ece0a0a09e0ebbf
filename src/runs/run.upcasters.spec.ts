import { EventSchemas } from '../core/upcasters.js';
import { UPCASTERS } from '../event-schemas.js';

const schemas = new EventSchemas(UPCASTERS);
const queued = (requestedBy: string, actor: string, schemaVersion: number) => ({
  type: 'RunQueued',
  data: { runId: 'r', requestedBy },
  metadata: { actor, correlationId: 'c', occurredAt: '2026-01-01T00:00:00.000Z', schemaVersion },
});

describe('RunQueued written before identities', () => {
  it('reads `admin` as the bootstrap token, in the plan and in the envelope', () => {
    const read = schemas.upcast(queued('admin', 'admin', 1));
    expect(read.data).toEqual({ runId: 'r', requestedBy: 'token:admin' });
    expect(read.metadata).toMatchObject({ actor: 'token:admin', schemaVersion: 2 });
  });

  it('leaves the scheduler, and every run queued since, as written', () => {
    expect(schemas.upcast(queued('scheduler', 'scheduler', 1)).data).toEqual({ runId: 'r', requestedBy: 'scheduler' });
    expect(schemas.upcast(queued('admin', 'user:admin', 2)).data).toEqual({ runId: 'r', requestedBy: 'admin' });
  });
});
