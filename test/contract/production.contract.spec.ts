import { EsdbEventStore } from '../../src/infrastructure/eventstoredb/esdb-event-store.js';
import { MongoReadStore } from '../../src/infrastructure/mongodb/mongo-read-store.js';
import { eventStoreContract } from './event-store.contract.js';
import { readStoreContract } from './read-store.contract.js';

const { SLUICE_EVENTSTORE_URL: esdb, SLUICE_MONGODB_URL: mongo } = process.env;

if (esdb) eventStoreContract('EventStoreDB', async () => new EsdbEventStore(esdb));
else describe('EventStore contract: EventStoreDB', () => it.skip('skipped: set SLUICE_EVENTSTORE_URL to run it', () => {}));

if (mongo) readStoreContract('MongoDB', async () => new MongoReadStore(mongo));
else describe('ReadStore contract: MongoDB', () => it.skip('skipped: set SLUICE_MONGODB_URL to run it', () => {}));

if (!esdb || !mongo) {
  // Straight to stderr: Jest swallows console output of files whose tests are all skipped.
  process.stderr.write(
    `Production contract suites skipped:${esdb ? '' : ' EventStoreDB (SLUICE_EVENTSTORE_URL unset)'}${mongo ? '' : ' MongoDB (SLUICE_MONGODB_URL unset)'}\n`,
  );
}
