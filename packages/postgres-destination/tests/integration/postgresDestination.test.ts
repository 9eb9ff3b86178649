import { S3ObjectStore } from '@insightflow/object-store';
import { columnNames, instacartCatalog, objectIdentity } from '@insightflow/shared-config';
import { startTestServices, type TestServices } from '@insightflow/testkit';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, migrations, PostgresDestination, SYNC_SCHEMA } from '../../src/index.js';

const RAW = 'insightflow-raw-bucket';
const catalog = instacartCatalog();
const RUN = new Date('2026-11-23T14:05:00Z');

describe('Adapter: PostgresDestination (real PostgreSQL and S3 API server)', () => {
  let services: TestServices;
  let client: pg.Client;
  let store: S3ObjectStore;
  let destination: PostgresDestination;

  beforeAll(async () => {
    services = await startTestServices();
    client = await services.connect();
    store = new S3ObjectStore(services.s3, RAW);
    destination = new PostgresDestination(client, store, catalog);
  });
  afterAll(async () => {
    await client?.end();
    await services?.stop();
  });

  it('migrates once: a second run applies nothing and drops nothing; every catalog table is created', async () => {
    expect(await migrate(client)).toEqual(migrations().map((m) => m.version));
    expect(await migrate(client)).toEqual([]);
    await destination.migrate();
    await destination.migrate();
    const tables = await services.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`,
      [SYNC_SCHEMA],
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining([...catalog.tableNames(), '_loaded_objects', '_rejects']),
    );
  });

  it('replaces a snapshot in one transaction, then skips the same run (another sync got there first)', async () => {
    const key = 'data/batch/aisles/year=2026/month=11/day=23/hhmm=1405/aisles_part0.csv';
    const info = await store.put(
      key,
      `${columnNames(catalog.table('aisles')).join(',')}\n1,"fresh ""herbs"", cut"\n2,""\n`,
    );
    const snapshot = {
      table: 'aisles' as const,
      runAt: RUN,
      manifestKey: 'data/batch/aisles/year=2026/month=11/day=23/hhmm=1405/_manifest.json',
      rows: 2,
      parts: [{ key, etag: info.etag }],
      force: false,
    };
    expect(await destination.replaceSnapshot(snapshot)).toMatchObject({
      rows: 2,
      filesLoaded: 1,
      snapshot: RUN.toISOString(),
    });
    expect(await destination.replaceSnapshot(snapshot)).toMatchObject({ rows: 0, filesLoaded: 0, filesSkipped: 1 });
    const state = await destination.readState();
    expect(state.snapshots.get('aisles')).toEqual(RUN);
    const rows = await services.query<{ aisle: string | null }>(
      `SELECT aisle FROM ${SYNC_SCHEMA}.aisles ORDER BY aisle_id`,
    );
    expect(rows.map((r) => r.aisle)).toEqual(['fresh "herbs", cut', '']);
  });

  it('refuses a part whose ETag changed after its run was committed, loading nothing of the run', async () => {
    const key = 'data/batch/departments/year=2026/month=11/day=23/hhmm=1405/departments_part0.csv';
    await store.put(key, 'department_id,department\n1,produce\n');
    await expect(
      destination.replaceSnapshot({
        table: 'departments',
        runAt: RUN,
        manifestKey: 'm',
        rows: 1,
        parts: [{ key, etag: 'not-the-committed-etag' }],
        force: false,
      }),
    ).rejects.toThrow(/it changed after its run was committed/);
    expect((await destination.readState()).snapshots.has('departments')).toBe(false);
  });

  it('loads a streaming object once: its ledger row commits with its rows', async () => {
    const key = 'data/streaming/orders/year=2026/month=11/day=23/hhmm=1405/insightflow-orders-1-2026-11-23-14-05-00-x';
    const line =
      '{"order_id":7,"user_id":1,"eval_set":"prior","order_number":1,"order_dow":0,"order_hour_of_day":9,"days_since_prior_order":null}';
    const info = await store.put(key, `${line}\n`);
    const object = { table: 'orders' as const, key, etag: info.etag, size: info.size, arrivedAt: RUN };
    expect(await destination.loadStreamObject(object)).toMatchObject({ rows: 1, filesLoaded: 1 });
    expect(await destination.loadStreamObject(object)).toMatchObject({ rows: 0, filesSkipped: 1 });
    expect((await destination.readState()).loadedObjects.has(objectIdentity(key, info.etag))).toBe(true);
  });
});
