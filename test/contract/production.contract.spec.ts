import { randomUUID } from 'node:crypto';
import { EventStoreDBClient } from '@eventstore/db-client';
import { EsdbEventStore } from '../../src/infrastructure/eventstoredb/esdb-event-store.js';
import { MongoReadStore } from '../../src/infrastructure/mongodb/mongo-read-store.js';
import { eventStoreContract } from './event-store.contract.js';
import { readStoreContract } from './read-store.contract.js';

const { SLUICE_EVENTSTORE_URL: esdb, SLUICE_MONGODB_URL: mongo } = process.env;

if (esdb) {
  eventStoreContract('EventStoreDB', async () => new EsdbEventStore(esdb));
  describe('EventStoreDB adapter', () => {
    it('limits snapshot streams with $maxCount', async () => {
      const store = new EsdbEventStore(esdb);
      const client = EventStoreDBClient.connectionString(esdb);
      const stream = `snapshot-job-${randomUUID()}`;
      const metadata = { actor: 'test', correlationId: 'c', occurredAt: new Date().toISOString(), schemaVersion: 1 };
      await store.append(stream, [{ id: randomUUID(), type: 'Snapshot', data: { revision: 1 }, metadata }], 'any');
      expect((await client.getStreamMetadata(stream)).metadata?.maxCount).toBeGreaterThan(0);
      await client.dispose();
      await store.close();
    });
  });
} else describe('EventStore contract: EventStoreDB', () => it.skip('skipped: set SLUICE_EVENTSTORE_URL to run it', () => {}));

if (mongo) readStoreContract('MongoDB', async () => new MongoReadStore(mongo));
else describe('ReadStore contract: MongoDB', () => it.skip('skipped: set SLUICE_MONGODB_URL to run it', () => {}));

describe('MongoDB adapter', () => {
  it('refuses a URL without a database name instead of writing into "test"', () => {
    expect(() => new MongoReadStore('mongodb://localhost:27017')).toThrow(/must name a database/);
    expect(() => new MongoReadStore('mongodb://a:27017,b:27017/?replicaSet=rs')).toThrow(/must name a database/);
    expect(() => new MongoReadStore('mongodb://a:27017,b:27017/sluice?replicaSet=rs')).not.toThrow();
  });
});

if (!esdb || !mongo) {
  // Straight to stderr: Jest swallows console output of files whose tests are all skipped.
  process.stderr.write(
    `Production contract suites skipped:${esdb ? '' : ' EventStoreDB (SLUICE_EVENTSTORE_URL unset)'}${mongo ? '' : ' MongoDB (SLUICE_MONGODB_URL unset)'}\n`,
  );
}
