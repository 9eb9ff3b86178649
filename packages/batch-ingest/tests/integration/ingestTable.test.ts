import { Lake } from '@insightflow/lake';
import { S3ObjectStore } from '@insightflow/object-store';
import { instacartCatalog } from '@insightflow/shared-config';
import { startTestS3, type TestS3 } from '@insightflow/testkit';
import type { DuckDbWarehouse, Warehouse } from '@insightflow/warehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestTable, ingestTables, TimeBudgetError } from '../../src/index.js';
import { loadedWarehouse, multisetDifference } from '../helpers/fixtures.js';

const RAW = 'insightflow-raw-bucket';
const catalog = instacartCatalog();

describe('Function: ingestTable() (DuckDB warehouse, real S3 API server)', () => {
  let s3: TestS3;
  let warehouse: DuckDbWarehouse;
  let store: S3ObjectStore;
  let lake: Lake;

  beforeAll(async () => {
    s3 = await startTestS3();
    warehouse = await loadedWarehouse(s3, 0.05);
    store = new S3ObjectStore(s3.client, RAW);
    lake = new Lake(store, catalog);
  }, 300_000);
  afterAll(async () => {
    await warehouse?.close();
    await s3?.stop();
  });

  for (const mode of ['stream', 'unload'] as const) {
    it(`${mode} mode: every table's parts equal the warehouse table as a multiset (scale 0.05)`, async () => {
      const runAt = new Date(mode === 'stream' ? '2026-11-23T14:05:00Z' : '2026-11-23T15:05:00Z');
      const result = await ingestTables({ catalog, warehouse, store }, catalog.tableNames(), {
        runAt,
        mode,
        batchSize: 250_000,
      });
      expect(result.failures).toEqual([]);
      for (const table of catalog.tableNames()) {
        const diff = await multisetDifference(warehouse, lake, s3, table, runAt);
        expect(diff, table).toEqual({ missing: 0, extra: 0, partRows: await warehouse.countRows(table) });
      }
    });
  }

  it('writes ceil(rows / batchSize) parts, named part0…partN-1, each with the header', async () => {
    const runAt = new Date('2026-11-23T16:00:00Z');
    const result = await ingestTable(
      { catalog, warehouse, store },
      { table: 'orders', runAt, mode: 'stream', batchSize: 1000 },
    );
    const rows = (await warehouse.countRows('orders')) as number;
    expect(result.parts).toBe(Math.ceil(rows / 1000));
    const keys = await s3.listKeys(RAW, result.runFolder);
    expect(keys).toHaveLength(result.parts + 1);
    expect(keys).toContain(`${result.runFolder}orders_part${result.parts - 1}.csv`);
    const last = (await s3.read(RAW, `${result.runFolder}orders_part${result.parts - 1}.csv`)).toString();
    expect(last.split('\n')[0]).toBe(
      'order_id,user_id,eval_set,order_number,order_dow,order_hour_of_day,days_since_prior_order',
    );
    // The manifest records the catalog the run was written under: its columns, types and hash.
    const manifest = await lake.committedRun('orders', runAt);
    expect(manifest?.catalogHash).toBe(catalog.hash);
    expect(manifest?.schema?.map((c) => c.name)).toEqual(catalog.table('orders').columns.map((c) => c.name));
  });

  it('does not write a committed run twice', async () => {
    const runAt = new Date('2026-11-23T16:00:00Z');
    const again = await ingestTable(
      { catalog, warehouse, store },
      { table: 'orders', runAt, mode: 'stream', batchSize: 1000 },
    );
    expect(again.status).toBe('already-committed');
  });

  it('a table failing mid-stream leaves no manifest and no parts, and the other tables commit', async () => {
    const runAt = new Date('2026-11-23T17:00:00Z');
    let batches = 0;
    const failing: Warehouse = {
      kind: warehouse.kind,
      canUnload: false,
      execute: (sql) => warehouse.execute(sql),
      ensureCatalogTables: (c) => warehouse.ensureCatalogTables(c),
      loadStagedFile: (file) => warehouse.loadStagedFile(file),
      loadStage: (source) => warehouse.loadStage(source),
      countRows: (t) => warehouse.countRows(t),
      describeTables: () => warehouse.describeTables(),
      unload: (r) => warehouse.unload(r),
      close: async () => undefined,
      async *streamRows(sql) {
        for await (const batch of warehouse.streamRows(sql)) {
          if (sql.includes('"order_products_prior"') && ++batches === 40)
            throw new Error('connection reset by warehouse');
          yield batch;
        }
      },
    };
    const result = await ingestTables({ catalog, warehouse: failing, store }, catalog.tableNames(), {
      runAt,
      mode: 'stream',
      batchSize: 20_000,
    });
    expect(result.failures.map((f) => f.table)).toEqual(['order_products_prior']);
    expect(result.failures[0]?.error.message).toMatch(
      /order_products_prior.*no manifest was written.*connection reset/,
    );
    expect(await s3.listKeys(RAW, lake.runFolder('order_products_prior', runAt))).toEqual([]);
    for (const table of catalog.tableNames().filter((t) => t !== 'order_products_prior')) {
      expect(await lake.committedRun(table, runAt), table).toBeDefined();
    }
  });

  it('refuses, before writing anything, a table it cannot stream in the remaining time', async () => {
    const runAt = new Date('2026-11-23T18:00:00Z');
    const attempt = ingestTable(
      { catalog, warehouse, store, remainingMs: () => 20_000, streamRowsPerSecond: 100_000 },
      { table: 'order_products_prior', runAt, mode: 'stream', batchSize: 1_000_000 },
    );
    await expect(attempt).rejects.toThrow(TimeBudgetError);
    await expect(attempt).rejects.toThrow(/mode "unload"/);
    expect(await s3.listKeys(RAW, lake.runFolder('order_products_prior', runAt))).toEqual([]);
  });
});
