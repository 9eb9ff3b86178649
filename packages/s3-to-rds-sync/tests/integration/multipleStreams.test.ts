import { Catalog } from '@insightflow/shared-config';
import { startTestServices, type TestServices } from '@insightflow/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countRows, rawStore, resetAll, syncOnce, writeStreamRows } from '../helpers/lake.js';

const T1 = new Date('2026-11-23T14:05:00Z');
const T2 = new Date('2026-11-23T14:06:00Z');

/** A keyed `shipments` table fed by one stream, and a keyless `events` table fed by two. */
const streamsCatalog = () =>
  Catalog.fromDocument(
    {
      tables: [
        {
          name: 'shipments',
          primaryKey: ['shipment_id'],
          columns: [
            { name: 'shipment_id', type: 'bigint', nullable: false },
            { name: 'amount', type: 'decimal(18,4)' },
            { name: 'shipped_at', type: 'timestamptz' },
          ],
        },
        { name: 'events', columns: [{ name: 'kind', type: 'text', nullable: false }] },
      ],
      streams: [
        { name: 'shipment_updates', table: 'shipments' },
        { name: 'clicks', table: 'events' },
        { name: 'views', table: 'events' },
      ],
    },
    'the streams test catalog',
  );

const shipment = (id: number) =>
  JSON.stringify({ shipment_id: id, amount: '12.3400', shipped_at: '2026-11-23T14:05:00.123456+00:00' });

describe('Function: syncLake() with several catalog streams (real PostgreSQL and S3 API server)', () => {
  let services: TestServices;
  const catalog = streamsCatalog();

  beforeAll(async () => {
    services = await startTestServices();
  });
  afterAll(async () => {
    await services?.stop();
  });
  beforeEach(async () => {
    await resetAll(services);
  });

  it("loads every stream's objects into its own table, exactly once", async () => {
    const store = rawStore(services);
    await writeStreamRows(store, 'shipment_updates', T1, [shipment(1), shipment(2)], 'a', catalog);
    await writeStreamRows(store, 'clicks', T1, ['{"kind":"click"}', '{"kind":"click"}'], 'b', catalog);
    await writeStreamRows(store, 'views', T2, ['{"kind":"view"}'], 'c', catalog);

    const first = await syncOnce(services, undefined, {}, catalog);
    expect(first.tables.shipments).toMatchObject({ rows: 2, rejected: 0, filesLoaded: 1 });
    // A keyless table appends: two streams feed it, a repeated row stays.
    expect(first.tables.events).toMatchObject({ rows: 3, rejected: 0, filesLoaded: 2 });
    expect(first.refused).toEqual([]);
    expect(await countRows(services, 'events', `kind = 'click'`)).toBe(2);
    expect(await countRows(services, 'events', `kind = 'view'`)).toBe(1);
    expect(await countRows(services, 'shipments', `amount = 12.34`)).toBe(2);

    const again = await syncOnce(services, undefined, {}, catalog);
    expect(again.rows).toBe(0);
    expect(again.tables.events).toMatchObject({ filesLoaded: 0, filesSkipped: 2 });
    expect(again.tables.shipments).toMatchObject({ filesLoaded: 0, filesSkipped: 1 });
  });

  it("syncs only the requested tables' streams, and rebuilds a streamed table from all its streams", async () => {
    const store = rawStore(services);
    await writeStreamRows(store, 'shipment_updates', T1, [shipment(1)], 'a', catalog);
    await writeStreamRows(store, 'clicks', T1, ['{"kind":"click"}'], 'b', catalog);
    await writeStreamRows(store, 'views', T2, ['{"kind":"view"}'], 'c', catalog);

    const only = await syncOnce(services, { mode: 'incremental', tables: ['events'] }, {}, catalog);
    expect(Object.keys(only.tables)).toEqual(['events']);
    expect(only.tables.events).toMatchObject({ rows: 2, filesLoaded: 2 });

    const full = await syncOnce(services, { mode: 'full' }, {}, catalog);
    expect(full.tables.events).toMatchObject({ rows: 2, filesLoaded: 2 });
    expect(full.tables.shipments).toMatchObject({ rows: 1, filesLoaded: 1 });
    expect(await countRows(services, 'events')).toBe(2);
  });
});
