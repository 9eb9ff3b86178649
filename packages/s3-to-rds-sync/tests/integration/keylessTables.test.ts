import { rowsOfKind } from '@insightflow/postgres-destination';
import { Catalog, type CatalogDocument, INSTACART_CATALOG, validateCatalog } from '@insightflow/shared-config';
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

/** The built-in catalog's `aisles` (keyed) and `orders` without its primary key, fed by the orders stream. */
function keylessCatalog(): Catalog {
  const tables = INSTACART_CATALOG.tables;
  const aisles = tables.find((t) => t.name === 'aisles');
  const orders = tables.find((t) => t.name === 'orders');
  if (!aisles || !orders) throw new Error('the built-in catalog lost aisles or orders');
  const { primaryKey: _, ...keylessOrders } = orders;
  const document: CatalogDocument = {
    tables: [aisles, keylessOrders],
    streams: [{ name: 'orders', table: 'orders' }],
  };
  return new Catalog(validateCatalog(document, 'the keyless test catalog'));
}

describe('Function: syncLake() on a table without a primary key (real PostgreSQL and S3 API server)', () => {
  let services: TestServices;
  const catalog = keylessCatalog();
  /** How each object of the last sync was loaded: `copy` or `validated`. */
  let paths: string[] = [];

  const sync = (request?: SyncRequest): Promise<SyncResult> => {
    paths = [];
    return syncOnce(services, request, { onObject: (_, __, result) => paths.push(result.path) }, catalog);
  };
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

  it('creates the table without a key, keyed tables with theirs', async () => {
    await sync();
    const keys = await services.query<{ table_name: string }>(
      `SELECT c.relname AS table_name FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'insightflow_raw' AND k.contype = 'p' AND c.relname IN ('aisles', 'orders')`,
    );
    expect(keys.map((k) => k.table_name)).toEqual(['aisles']);
  });

  it('loads every row of a run, repeated rows included, by plain COPY; a rerun loads nothing', async () => {
    const store = rawStore(services);
    const lines = orderLines(20);
    lines.push(lines[4] as string, lines[4] as string, '5,9,prior,1,1,1,1');
    await writeRun(store, 'orders', T1, [lines, orderLines(10)], { catalog });
    const first = await sync();
    expect(first.tables.orders).toMatchObject({ rows: 33, rejected: 0, duplicates: 0, filesLoaded: 2 });
    expect(paths).toEqual(['copy', 'copy']);
    expect(await count('orders')).toBe(33);
    expect(await count('orders', 'order_id = 5')).toBe(5);
    expect(await count('_rejects')).toBe(0);
    const again = await sync();
    expect(again).toMatchObject({ rows: 0, filesLoaded: 0, filesSkipped: 2 });
    expect(await count('orders')).toBe(33);
  });

  it('replaces the whole snapshot with a newer run, and a run that fails midway leaves the old one intact', async () => {
    const store = rawStore(services);
    await writeRun(store, 'orders', T1, [[...orderLines(50), ...orderLines(50)]], { catalog });
    await sync();
    expect(await count('orders')).toBe(100);

    // A newer run whose second part changed after it was committed: refused, nothing of it lands.
    const broken = await writeRun(store, 'orders', T2, [orderLines(30), orderLines(30)], { catalog });
    await store.put((broken.parts[1] as { key: string }).key, 'order_id\n1\n', 'text/csv');
    const refused = await sync();
    expect(refused.refused.map((r) => r.reason).join('\n')).toMatch(/changed after its run was committed/);
    expect(await count('orders')).toBe(100);
    expect(
      await count(
        'orders',
        `"_source_id" IN (SELECT id FROM insightflow_raw._loaded_objects WHERE key LIKE '%/hhmm=1405/%')`,
      ),
    ).toBe(100);

    await resetAll(services);
    await writeRun(store, 'orders', T1, [[...orderLines(50), ...orderLines(50)]], { catalog });
    await sync();
    await writeRun(store, 'orders', T2, [[...orderLines(7), ...orderLines(7)]], { catalog });
    const newer = await sync();
    expect(newer.tables.orders).toMatchObject({ rows: 14, snapshot: T2.toISOString() });
    expect(await count('orders')).toBe(14);
    expect(
      await count(
        'orders',
        `"_source_id" IN (SELECT id FROM insightflow_raw._loaded_objects WHERE key LIKE '%/hhmm=1505/%')`,
      ),
    ).toBe(14);
  });

  it('loads every good row of a run with a bad one, repeats included, and records the reject with its line', async () => {
    const store = rawStore(services);
    const lines = [...orderLines(10), ...orderLines(10)];
    lines[14] = '5,7,prior,1,9,10,5'; // order_dow 9 > 6 (file line 16)
    await writeRun(store, 'orders', T1, [lines], { catalog });
    const result = await sync();
    expect(result.tables.orders).toMatchObject({ rows: 19, rejected: 1, duplicates: 0 });
    expect(paths).toEqual(['validated']);
    expect(await count('orders')).toBe(19);
    expect(await count('orders', 'order_id = 4')).toBe(2);
    expect(await count('orders', 'order_id = 5')).toBe(1);
    const rejects = await services.query<{ line: string; raw: string; reason: string }>(
      'SELECT line, raw, reason FROM insightflow_raw._rejects',
    );
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ line: '16', raw: '5,7,prior,1,9,10,5' });
    expect(rejects[0]?.reason).toMatch(/order_dow is 9, above the maximum 6/);
    expect((await sync()).rows).toBe(0);
    expect(await count('orders')).toBe(19);
  });

  it('appends every streamed row, redeliveries included, and keeps them when the snapshot is replaced', async () => {
    const store = rawStore(services);
    await writeRun(store, 'orders', T1, [orderLines(10)], { catalog });
    await writeStreamingObject(store, T1, [1001, 1002, 1003], undefined, catalog);
    await writeStreamingObject(store, T2, [1002, 1003, 1004], undefined, catalog);
    const result = await sync();
    expect(result.tables.orders).toMatchObject({ rows: 16, duplicates: 0, filesLoaded: 3 });
    expect(await count('orders', rowsOfKind('orders', 'stream'))).toBe(6);
    expect(await count('orders', 'order_id = 1002')).toBe(2);

    await writeRun(store, 'orders', T2, [[...orderLines(5), ...orderLines(5)]], { catalog });
    expect((await sync()).tables.orders).toMatchObject({ rows: 10, rejected: 0 });
    expect(paths).toEqual(['copy']);
    expect(await count('orders', rowsOfKind('orders', 'batch'))).toBe(10);
    expect(await count('orders', rowsOfKind('orders', 'stream'))).toBe(6);

    const full = await sync({ mode: 'full', tables: ['orders'] });
    expect(full.tables.orders).toMatchObject({ rows: 16, duplicates: 0 });
    expect(await count('orders')).toBe(16);
  });
});
