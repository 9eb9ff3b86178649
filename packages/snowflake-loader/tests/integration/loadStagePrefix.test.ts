import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Catalog } from '@insightflow/shared-config';
import { startTestS3, type TestS3 } from '@insightflow/testkit';
import { DuckDbWarehouse } from '@insightflow/warehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStagedFiles } from '../../src/index.js';

const BUCKET = 'insightflow-stage';
const stage = { bucket: BUCKET, prefix: 'instacart/' };

/** A catalog of your own: each table staged under a prefix of its own. */
const testCatalog = Catalog.fromDocument(
  {
    tables: [
      {
        name: 'events',
        stage: 'feeds/events/',
        primaryKey: ['event_id'],
        columns: [
          { name: 'event_id', type: 'bigint', nullable: false },
          { name: 'kind', type: 'text', nullable: false },
          { name: 'amount', type: 'decimal(10,2)' },
          { name: 'note', type: 'text' },
        ],
      },
      {
        name: 'shops',
        stage: 'feeds/shops/',
        columns: [
          { name: 'shop_id', type: 'integer', nullable: false },
          { name: 'city', type: 'text' },
        ],
      },
    ],
  },
  'the test catalog',
);

describe('Function: loadStagedFiles() over prefix stages, columns by header name (DuckDB, real S3 API server)', () => {
  let s3: TestS3;
  let warehouse: DuckDbWarehouse;
  const put = (key: string, body: string | Buffer) =>
    s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  const rows = async (sql: string) => {
    const out: unknown[][] = [];
    for await (const batch of warehouse.streamRows(sql)) out.push(...batch.map((r) => [...r]));
    return out;
  };

  beforeAll(async () => {
    s3 = await startTestS3();
    const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-prefix-'));
    warehouse = await DuckDbWarehouse.open({ path: path.join(dir, 'w.duckdb'), s3: s3.client });
  });
  afterAll(async () => {
    await warehouse?.close();
    await s3?.stop();
  });

  it('loads every .csv and .csv.gz file under the prefix once, in key order; a rerun loads nothing; a rewritten file loads again', async () => {
    await put('feeds/events/2026-12-01.csv', 'event_id,kind,amount,note\n1,view,,"a, b"\n2,buy,9.50,\n');
    await put('feeds/events/2026-12-02.csv.gz', gzipSync('event_id,kind,amount,note\n3,buy,1.25,gz\n'));
    await put('feeds/events/README.txt', 'not data');
    await put('feeds/shops/shops.csv', 'shop_id,city\n1,Lyon\n');

    const first = await loadStagedFiles(warehouse, testCatalog, stage, ['events']);
    expect(first.tables.events?.files.map((f) => [f.file, f.status, f.rowsLoaded])).toEqual([
      ['feeds/events/2026-12-01.csv', 'loaded', 2],
      ['feeds/events/2026-12-02.csv.gz', 'loaded', 1],
    ]);
    expect(first).toMatchObject({ rows: 3, filesLoaded: 2, filesSkipped: 0, filesRejected: 0 });
    expect(await rows('SELECT event_id, kind, amount::VARCHAR, note FROM events ORDER BY event_id')).toEqual([
      [1n, 'view', null, 'a, b'],
      [2n, 'buy', '9.50', null],
      [3n, 'buy', '1.25', 'gz'],
    ]);

    const again = await loadStagedFiles(warehouse, testCatalog, stage, ['events']);
    expect(again).toMatchObject({ rows: 0, filesLoaded: 0, filesSkipped: 2, filesRejected: 0 });
    expect(await warehouse.countRows('events')).toBe(3);

    await put('feeds/events/2026-12-01.csv', 'event_id,kind,amount,note\n4,refund,-9.50,rewritten\n');
    const rewritten = await loadStagedFiles(warehouse, testCatalog, stage, ['events']);
    expect(rewritten.tables.events?.files.map((f) => [f.file, f.status, f.rowsLoaded])).toEqual([
      ['feeds/events/2026-12-01.csv', 'loaded', 1],
      ['feeds/events/2026-12-02.csv.gz', 'skipped', 0],
    ]);
    expect(await warehouse.countRows('events')).toBe(4);
  });

  it('matches columns by the header\u2019s names: another order loads correctly, a missing nullable column loads NULL', async () => {
    await put('feeds/shops/shops.csv', 'shop_id,city\n1,Lyon\n');
    await put('feeds/shops/shops-reordered.csv', 'city,shop_id\nOslo,2\n"Porto, PT",3\n');
    await put('feeds/shops/shops-no-city.csv', 'SHOP_ID\n4\n');
    const summary = await loadStagedFiles(warehouse, testCatalog, stage, ['shops']);
    expect(summary).toMatchObject({ rows: 4, filesLoaded: 3, filesRejected: 0 });
    expect(await rows('SELECT shop_id, city FROM shops ORDER BY shop_id')).toEqual([
      [1, 'Lyon'],
      [2, 'Oslo'],
      [3, 'Porto, PT'],
      [4, null],
    ]);
  });

  it('refuses a file lacking a NOT NULL column or naming a column the catalog lacks, naming the column and loading nothing', async () => {
    const before = await warehouse.countRows('events');
    await put('feeds/events/2026-12-03.csv', 'event_id,amount\n10,1.00\n');
    await put('feeds/events/2026-12-04.csv', 'event_id,kind,colour\n11,view,red\n');
    const summary = await loadStagedFiles(warehouse, testCatalog, stage, ['events']);
    expect(summary).toMatchObject({ rows: 0, filesLoaded: 0, filesRejected: 2 });
    const [missing, unknown] = summary.tables.events?.files.filter((f) => f.status === 'rejected') ?? [];
    expect(missing?.file).toBe('feeds/events/2026-12-03.csv');
    expect(missing?.problems).toEqual([expect.objectContaining({ line: 1, column: 'kind' })]);
    expect(missing?.problems[0]?.message).toMatch(/lacks column kind.*NOT NULL/);
    expect(unknown?.file).toBe('feeds/events/2026-12-04.csv');
    expect(unknown?.problems).toEqual([expect.objectContaining({ line: 1, column: 'colour' })]);
    expect(unknown?.problems[0]?.message).toMatch(/"colour".*does not have/);
    expect(await warehouse.countRows('events')).toBe(before);
    expect(await rows('SELECT count(*) FROM events WHERE event_id IN (10, 11)')).toEqual([[0n]]);
  });
});
