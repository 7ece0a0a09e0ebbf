import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '../config/settings.js';
import { SqliteEventStore } from '../infrastructure/sqlite/sqlite-event-store.js';
import { openEventStore } from '../infrastructure/stores.module.js';
import type { NewEvent, RecordedEvent } from './events.js';
import { EventSchemas, type Upcaster } from './upcasters.js';
import { UpcastingEventStore } from './upcasting-event-store.js';

// A made-up history: PersonNamed once held one `name`, then `first`/`last`, now also a `display` name.
const UPCASTERS: Upcaster[] = [
  {
    type: 'PersonNamed',
    fromVersion: 2,
    up: ({ data, metadata }) => {
      const d = data as { first: string; last: string };
      return { data: { ...d, display: `${d.last}, ${d.first}` }, metadata };
    },
  },
  {
    type: 'PersonNamed',
    fromVersion: 1,
    up: ({ data, metadata }) => {
      const [first, last] = (data as { name: string }).name.split(' ');
      return { data: { first, last }, metadata };
    },
  },
];

const event = (id: string, type: string, data: unknown, schemaVersion?: number): NewEvent => ({
  id,
  type,
  data,
  metadata: { actor: 'test', correlationId: 'c', occurredAt: '2026-01-01T00:00:00.000Z', ...(schemaVersion ? { schemaVersion } : {}) } as NewEvent['metadata'],
});

const CURRENT = { first: 'Ada', last: 'Lovelace', display: 'Lovelace, Ada' };

describe('UpcastingEventStore', () => {
  let dir: string;
  let raw: SqliteEventStore;
  let store: UpcastingEventStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-upcast-'));
    raw = new SqliteEventStore(join(dir, 'e.db'));
    store = new UpcastingEventStore(raw, new EventSchemas(UPCASTERS));
    // Stored as older code wrote them: version 1 (and one so old it has no version at all), and version 2.
    await raw.append('person-1', [event('00000000-0000-4000-8000-000000000001', 'PersonNamed', { name: 'Ada Lovelace' }, 1)], 'no_stream');
    await raw.append('person-2', [event('00000000-0000-4000-8000-000000000002', 'PersonNamed', { name: 'Ada Lovelace' })], 'no_stream');
    await raw.append('person-3', [event('00000000-0000-4000-8000-000000000003', 'PersonNamed', { first: 'Ada', last: 'Lovelace' }, 2)], 'no_stream');
  });
  afterEach(async () => {
    await store.close();
    await raw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('knows each type\'s current version: one past its highest upcaster, else 1', () => {
    const schemas = new EventSchemas(UPCASTERS);
    expect(schemas.versionOf('PersonNamed')).toBe(3);
    expect(schemas.versionOf('JobCreated')).toBe(1);
    expect(() => new EventSchemas([UPCASTERS[0]])).toThrow(/No upcaster for PersonNamed from version 1/);
    expect(() => new EventSchemas([UPCASTERS[1], UPCASTERS[1]])).toThrow(/Two upcasters for PersonNamed from version 1/);
  });

  it('reads old shapes back in the current shape through readStream and readLast', async () => {
    for (const stream of ['person-1', 'person-2', 'person-3']) {
      const [read] = await store.readStream(stream);
      expect(read.data).toEqual(CURRENT);
      expect(read.metadata.schemaVersion).toBe(3);
      expect((await store.readLast(stream))?.data).toEqual(CURRENT);
    }
    // nothing stored was rewritten
    expect((await raw.readStream('person-1'))[0].data).toEqual({ name: 'Ada Lovelace' });
  });

  it('upcasts what readAll and subscribeToAll deliver', async () => {
    expect((await store.readAll({ maxCount: 10 })).map((e) => e.data)).toEqual([CURRENT, CURRENT, CURRENT]);
    const subscription = store.subscribeToAll({});
    const seen: RecordedEvent[] = [];
    for await (const e of subscription) {
      seen.push(e);
      if (seen.length === 3) break;
    }
    await subscription.close();
    expect(seen.map((e) => e.data)).toEqual([CURRENT, CURRENT, CURRENT]);
  });

  it('stamps appended events with their type\'s current version, so they are not upcast again', async () => {
    await store.append('person-4', [event('00000000-0000-4000-8000-000000000004', 'PersonNamed', CURRENT, 1), event('00000000-0000-4000-8000-000000000005', 'Other', {}, 1)], 'no_stream');
    const stored = await raw.readStream('person-4');
    expect(stored.map((e) => e.metadata.schemaVersion)).toEqual([3, 1]);
    expect((await store.readStream('person-4'))[0].data).toEqual(CURRENT);
  });

  it('is the store the app opens (the EVENT_STORE of StoresModule, the replay CLI)', async () => {
    await raw.close();
    const opened = openEventStore(loadSettings({ SLUICE_DATA_DIR: dir, SLUICE_ADMIN_TOKEN: 't' }), UPCASTERS);
    raw = new SqliteEventStore(join(dir, 'events.db'));
    await raw.append('person-5', [event('00000000-0000-4000-8000-000000000006', 'PersonNamed', { name: 'Ada Lovelace' }, 1)], 'no_stream');
    expect((await opened.readStream('person-5'))[0].data).toEqual(CURRENT);
    await opened.close();
  });
});
