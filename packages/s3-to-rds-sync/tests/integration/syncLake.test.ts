import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { rowsOfKind } from '@insightflow/postgres-destination';
import { startTestServices, type TestServices } from '@insightflow/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SyncRequest, SyncResult } from '../../src/index.js';
import {
  countRows,
  orderLines,
  rawStore,
  resetAll,
  syncOnce,
  writeRun,
  writeStreamingObject,
} from '../helpers/lake.js';

const T1 = new Date('2026-11-23T14:05:00Z');
const T2 = new Date('2026-11-23T15:05:00Z');

describe('Function: syncLake() (real PostgreSQL and S3 API server)', () => {
  let services: TestServices;

  const sync = (request?: SyncRequest, remainingMs?: () => number): Promise<SyncResult> =>
    syncOnce(services, request, remainingMs ? { remainingMs } : {});
  const count = (table: string, where?: string) => countRows(services, table, where);

  beforeAll(async () => {
    services = await startTestServices();
  });
  afterAll(async () => {
    await services?.stop();
  });
  beforeEach(async () => {
    await resetAll(services);
  });

  it('loads a committed run exactly once: a rerun loads 0 rows', async () => {
    await writeRun(rawStore(services), 'orders', T1, [orderLines(600), orderLines(400, 601)]);
    const first = await sync();
    expect(first).toMatchObject({ rows: 1000, rejected: 0, filesLoaded: 2 });
    expect(await count('orders')).toBe(1000);
    const again = await sync();
    expect(again).toMatchObject({ rows: 0, filesLoaded: 0, filesSkipped: 2 });
    expect(await count('orders')).toBe(1000);
  });

  it('ignores a run folder without a manifest', async () => {
    await writeRun(rawStore(services), 'orders', T1, [orderLines(10)], { commit: false });
    expect((await sync()).rows).toBe(0);
    expect(await count('orders')).toBe(0);
  });

  it('keeps NULL and empty strings apart, and quotes, commas, newlines and accents intact', async () => {
    await writeRun(rawStore(services), 'products', T1, [
      ['1,"Crème ""brûlée"", 8 oz",1,1', '2,"Gift Box\nHoliday, Edition 🍌",2,2', '3,"",3,3'],
    ]);
    await sync();
    const rows = await services.query<{ product_name: string }>(
      'SELECT product_name FROM insightflow_raw.products ORDER BY product_id',
    );
    expect(rows.map((r) => r.product_name)).toEqual(['Crème "brûlée", 8 oz', 'Gift Box\nHoliday, Edition 🍌', '']);
    await writeRun(rawStore(services), 'orders', T1, [['1,1,prior,1,0,0,', '2,1,prior,2,0,0,3']]);
    await sync();
    expect(await count('orders', 'days_since_prior_order IS NULL')).toBe(1);
  });

  it('loads 997 rows of an object with 3 bad rows in 1 000 and records the 3 with their lines', async () => {
    const lines = orderLines(1000);
    lines[99] = '100,7,prior,1,9,10,5'; // order_dow 9 > 6 (file line 101)
    lines[499] = '500,7,later,1,3,10,5'; // unknown eval_set (line 501)
    lines[899] = '900,7,prior,abc,3,10'; // not a number, and a field missing (line 901)
    await writeRun(rawStore(services), 'orders', T1, [lines]);
    const result = await sync();
    expect(result).toMatchObject({ rows: 997, rejected: 3 });
    expect(await count('orders')).toBe(997);
    const rejects = await services.query<{ line: string; raw: string; reason: string; object_key: string }>(
      'SELECT line, raw, reason, object_key FROM insightflow_raw._rejects ORDER BY line',
    );
    expect(rejects.map((r) => Number(r.line))).toEqual([101, 501, 901]);
    expect(rejects[0]?.reason).toMatch(/order_dow is 9, above the maximum 6/);
    expect(rejects[1]?.raw).toBe('500,7,later,1,3,10,5');
    expect(rejects[2]?.reason).toMatch(/expected 7 fields, found 6/);
    expect(rejects[0]?.object_key).toMatch(
      /^data\/batch\/orders\/year=2026\/month=11\/day=23\/hhmm=1405\/orders_part0\.csv$/,
    );
  });

  it('rejects a duplicate key within a snapshot and loads the rest', async () => {
    const lines = orderLines(20);
    lines.push('5,9,prior,1,1,1,1');
    await writeRun(rawStore(services), 'orders', T1, [lines]);
    expect(await sync()).toMatchObject({ rows: 20, rejected: 1 });
    const [reject] = await services.query<{ line: string; reason: string }>(
      'SELECT line, reason FROM insightflow_raw._rejects',
    );
    expect(reject).toMatchObject({ line: '22', reason: 'duplicate key (5)' });
  });

  it('replaces a snapshot with a newer run, never piling duplicates on it', async () => {
    await writeRun(rawStore(services), 'orders', T1, [orderLines(100)]);
    await sync();
    await writeRun(rawStore(services), 'orders', T2, [orderLines(80, 51)]);
    const result = await sync();
    expect(result.tables.orders?.snapshot).toBe(T2.toISOString());
    expect(await count('orders')).toBe(80);
    expect(
      await count(
        'orders',
        `"_source_id" IN (SELECT id FROM insightflow_raw._loaded_objects WHERE key LIKE '%/hhmm=1505/%')`,
      ),
    ).toBe(80);
    const older = await sync({ mode: 'window', since: T1, until: T1 });
    expect(older.rows).toBe(0);
  });

  it('keeps stream rows when a batch snapshot is replaced, and dedupes streaming deliveries by order id', async () => {
    const store = rawStore(services);
    await writeRun(store, 'orders', T1, [orderLines(10)]);
    await writeStreamingObject(store, T1, [1001, 1002, 1003]);
    // The same orders delivered again in another object (at-least-once), plus a new one.
    await writeStreamingObject(store, T2, [1002, 1003, 1004]);
    const result = await sync();
    expect(result.tables.orders).toMatchObject({ rows: 14, duplicates: 2, filesLoaded: 3 });
    await writeRun(store, 'orders', T2, [orderLines(5)]);
    await sync();
    expect(await count('orders', rowsOfKind('orders', 'batch'))).toBe(5);
    expect(await count('orders', rowsOfKind('orders', 'stream'))).toBe(4);
  });

  it('window mode loads only the streaming objects delivered in the window', async () => {
    const store = rawStore(services);
    await writeStreamingObject(store, T1, [1, 2]);
    await writeStreamingObject(store, T2, [3, 4]);
    const result = await sync({ mode: 'window', since: T2, until: new Date('2026-11-23T15:59:00Z') });
    expect(result.rows).toBe(2);
    expect(await count('orders')).toBe(2);
  });

  it('full mode rebuilds orders from the lake in one transaction', async () => {
    const store = rawStore(services);
    await writeRun(store, 'orders', T1, [orderLines(10)]);
    await writeStreamingObject(store, T1, [500, 501]);
    await sync();
    await services.query('DELETE FROM insightflow_raw.orders WHERE order_id < 5');
    const result = await sync({ mode: 'full', tables: ['orders'] });
    expect(result.tables.orders?.rows).toBe(12);
    expect(await count('orders')).toBe(12);
  });

  it('two syncs at once load each object exactly once', async () => {
    const store = rawStore(services);
    await writeRun(store, 'order_products_prior', T1, [
      Array.from({ length: 30_000 }, (_, i) => `${i + 1},${(i % 40) + 1},1,${i % 2}`),
    ]);
    for (let i = 0; i < 6; i++) await writeStreamingObject(store, T1, [10_000 + i * 2, 10_001 + i * 2], `object-${i}`);
    const [a, b] = await Promise.all([sync(), sync()]);
    expect(a.rows + b.rows).toBe(30_012);
    expect(a.filesLoaded + b.filesLoaded).toBe(7);
    expect(await count('order_products_prior')).toBe(30_000);
    expect(await count('orders')).toBe(12);
    const ledger = await services.query<{ n: string }>('SELECT count(*) AS n FROM insightflow_raw._loaded_objects');
    expect(Number(ledger[0]?.n)).toBe(7);
  });

  it('a sync killed with SIGKILL mid-COPY leaves nothing, and a rerun gives exact counts', async () => {
    const store = rawStore(services);
    const rows = 400_000;
    await writeRun(store, 'order_products_prior', T1, [
      Array.from({ length: rows / 2 }, (_, i) => `${i + 1},${(i % 40) + 1},1,${i % 2}`),
      Array.from({ length: rows / 2 }, (_, i) => `${rows / 2 + i + 1},${(i % 40) + 1},1,${i % 2}`),
    ]);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../helpers/syncInChildProcess.ts', import.meta.url))],
      {
        env: { ...process.env, DATABASE_URL: services.databaseUrl, S3_ENDPOINT: services.services.s3Endpoint },
        stdio: 'ignore',
      },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let sawCopy = false;
    for (let i = 0; i < 400 && !sawCopy; i++) {
      const active = await services.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'COPY %insightflow_raw%' AND state = 'active'",
      );
      sawCopy = Number(active[0]?.n) > 0;
      if (!sawCopy) await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    await exited;
    expect(sawCopy).toBe(true);
    // The killed session's transaction is gone once its backend notices the lost client.
    for (let i = 0; i < 200; i++) {
      const left = await services.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'COPY %insightflow_raw%'",
      );
      if (Number(left[0]?.n) === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await count('order_products_prior')).toBe(0);

    const rerun = await sync();
    expect(rerun.rows).toBe(rows);
    expect(await count('order_products_prior')).toBe(rows);
    expect((await sync()).rows).toBe(0);
  });

  it('stops before the deadline with more: true, and the next call finishes the work', async () => {
    const store = rawStore(services);
    await writeRun(store, 'aisles', T1, [['1,fresh fruits']]);
    await writeRun(store, 'departments', T1, [['1,produce']]);
    const first = await sync({ mode: 'incremental' }, () => 10_000);
    expect(first.more).toBe(true);
    expect(first.rows).toBe(1);
    // The table left for the next call lags by the age of its run; the loaded one does not.
    const waiting = Object.entries(first.lagSeconds).filter(([, lag]) => lag > 0);
    expect(waiting).toHaveLength(1);
    expect(waiting[0]?.[1]).toBeGreaterThanOrEqual(Math.floor((Date.now() - T1.getTime()) / 1000) - 5);
    const second = await sync();
    expect(second).toMatchObject({ more: false, rows: 1 });
    expect(Object.values(second.lagSeconds).every((lag) => lag === 0)).toBe(true);
  });

  it('refuses hostile keys and headers, executing nothing from them', async () => {
    const store = rawStore(services);
    await store.put('data/batch/orders/../../etc/_manifest.json', '{}');
    await store.put('data/batch/users/year=2026/month=11/day=23/hhmm=1405/_manifest.json', '{}');
    await store.put('data/streaming/orders/year=2026/month=13/day=01/hhmm=0000/x', '{"order_id":1}\n');
    await writeRun(store, 'aisles', T1, [['1,fresh fruits']], {
      header: 'aisle_id,"aisle""; DROP TABLE insightflow_raw.orders; --"',
    });
    const manifest = await writeRun(store, 'departments', T1, [['1,produce']]);
    manifest.parts[0] = {
      ...(manifest.parts[0] as (typeof manifest.parts)[number]),
      key: 'data/batch/orders/year=2026/month=11/day=23/hhmm=1405/orders_part0.csv',
    };
    await store.put(
      'data/batch/departments/year=2026/month=11/day=23/hhmm=1405/_manifest.json',
      JSON.stringify(manifest),
    );

    const result = await sync();
    const reasons = result.refused.map((r) => `${r.key} → ${r.reason}`).join('\n');
    // Keys outside the catalog's prefixes (a traversal, an unknown table) are never even listed.
    expect(result.refused).toHaveLength(3);
    expect(reasons).toMatch(/aisles_part0\.csv → .*header .* does not match the catalog/);
    expect(reasons).toMatch(/month=13/);
    expect(reasons).toMatch(/departments.*_manifest\.json → .*not a part of this run/);
    expect(await count('aisles')).toBe(0);
    const tables = await services.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'insightflow_raw' AND table_name IN ('orders', 'users')",
    );
    expect(tables.map((t) => t.table_name)).toEqual(['orders']);
    expect(await count('orders')).toBe(0);
  });
});
