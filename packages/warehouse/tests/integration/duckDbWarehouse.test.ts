import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { instacartCatalog } from '@insightflow/shared-config';
import { startTestS3, type TestS3 } from '@insightflow/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../src/index.js';

const catalog = instacartCatalog();
const STAGE = 'insightflow-stage';
const ORDERS_HEADER = 'order_id,user_id,eval_set,order_number,order_dow,order_hour_of_day,days_since_prior_order';

describe('Adapter: DuckDbWarehouse (real DuckDB and S3 API server)', () => {
  let s3: TestS3;
  let warehouse: DuckDbWarehouse;
  const put = (key: string, body: string) =>
    s3.client.send(new PutObjectCommand({ Bucket: STAGE, Key: key, Body: body }));

  beforeAll(async () => {
    s3 = await startTestS3();
    const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-wh-'));
    warehouse = await DuckDbWarehouse.open({ path: path.join(dir, 'w.duckdb'), s3: s3.client });
    await warehouse.ensureCatalogTables(catalog);
  });
  afterAll(async () => {
    await warehouse?.close();
    await s3?.stop();
  });

  it('loads a staged CSV with quotes, commas, newlines, accents and NULLs, then skips it on a rerun', async () => {
    await put(
      'good/products.csv',
      'product_id,product_name,aisle_id,department_id\n1,"Crème ""Fraîche"", 8 oz",2,3\n2,"Gift Box\nHoliday, Edition",4,5\n',
    );
    const file = { table: catalog.table('products'), bucket: STAGE, key: 'good/products.csv' };
    expect(await warehouse.loadStagedFile(file)).toMatchObject({ status: 'loaded', rowsLoaded: 2 });
    expect(await warehouse.loadStagedFile(file)).toMatchObject({ status: 'skipped', rowsLoaded: 0 });
    const names: string[] = [];
    for await (const batch of warehouse.streamRows('SELECT product_name FROM products ORDER BY product_id')) {
      names.push(...batch.map((r) => r[0] as string));
    }
    expect(names).toEqual(['Crème "Fraîche", 8 oz', 'Gift Box\nHoliday, Edition']);
  });

  it('records the entity tag unquoted, and skips a file an older ledger recorded with quotes', async () => {
    await put('legacy/departments.csv', 'department_id,department\n1,frozen\n');
    const file = { table: catalog.table('departments'), bucket: STAGE, key: 'legacy/departments.csv' };
    expect(await warehouse.loadStagedFile(file)).toMatchObject({ status: 'loaded', rowsLoaded: 1 });
    const ledger = async () => {
      const rows: unknown[] = [];
      for await (const batch of warehouse.streamRows(
        "SELECT etag FROM _insightflow_loaded_files WHERE file_key = 'legacy/departments.csv'",
      ))
        rows.push(...batch.map((r) => r[0]));
      return rows as string[];
    };
    const [etag] = await ledger();
    expect(etag).toMatch(/^[0-9a-f]+$/);
    await warehouse.execute(
      `UPDATE _insightflow_loaded_files SET etag = '"${etag}"' WHERE file_key = 'legacy/departments.csv'`,
    );
    expect(await warehouse.loadStagedFile(file)).toMatchObject({ status: 'skipped', rowsLoaded: 0 });
    expect(await warehouse.countRows('departments')).toBe(1);
  });

  it('rejects a file with bad rows whole, naming every bad line, and loads it once it is fixed', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => `${i + 1},7,prior,${i + 1},3,14,${i === 0 ? '' : '5'}`);
    rows[4] = '5,7,prior,five,3,14,5'; // line 6: order_number not a number
    rows[9] = '10,7,prior,10,3'; // line 11: missing columns
    await put('bad/orders.csv', `${ORDERS_HEADER}\n${rows.join('\n')}\n`);
    const file = { table: catalog.table('orders'), bucket: STAGE, key: 'bad/orders.csv' };

    const report = await warehouse.loadStagedFile(file);
    expect(report.status).toBe('rejected');
    expect(report.rowsRejected).toBe(2);
    expect(report.problems.map((p) => p.line)).toEqual([6, 11]);
    expect(report.problems[0]?.column).toBe('order_number');
    expect(await warehouse.countRows('orders')).toBe(0);

    rows[4] = '5,7,prior,5,3,14,5';
    rows[9] = '10,7,prior,10,3,14,5';
    await put('bad/orders.csv', `${ORDERS_HEADER}\n${rows.join('\n')}\n`);
    expect(await warehouse.loadStagedFile(file)).toMatchObject({ status: 'loaded', rowsLoaded: 20 });
    expect(await warehouse.countRows('orders')).toBe(20);
  });

  it('rolls back a file that breaks a NOT NULL column, leaving nothing half-loaded', async () => {
    await put('dup/aisles.csv', 'aisle_id,aisle\n1,fresh fruits\n2,yogurt\n3,\n');
    const error = await warehouse
      .loadStagedFile({ table: catalog.table('aisles'), bucket: STAGE, key: 'dup/aisles.csv' })
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/dup\/aisles.csv.*rolled back/);
    expect(await warehouse.countRows('aisles')).toBe(0);
  });

  it('unloads a query to CSV files of about maxFileBytes whose rows equal the query\u2019s', async () => {
    expect(await warehouse.countRows('orders')).toBe(20);
    const small = await warehouse.unload({
      sql: 'SELECT * FROM orders',
      bucket: 'insightflow-raw-bucket',
      prefix: 'unload/',
      maxFileBytes: 1_000_000,
    });
    expect(small.map((f) => f.rows)).toEqual([20]);
    const [header, ...body] = (await s3.read('insightflow-raw-bucket', small[0]?.key as string))
      .toString()
      .trim()
      .split('\n');
    expect(header).toBe(ORDERS_HEADER);
    expect(body.sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `${i + 1},7,prior,${i + 1},3,14,${i === 0 ? '' : '5.0'}`).sort(),
    );
    // About 2.5 MB of rows in files of at most about 1 MB: several files, every row once, each with the header.
    const big = await warehouse.unload({
      sql: "SELECT i AS n, repeat('x', 100) AS pad FROM range(25000) t(i)",
      bucket: 'insightflow-raw-bucket',
      prefix: 'unload-big/',
      maxFileBytes: 1_000_000,
    });
    expect(big.length).toBeGreaterThan(1);
    expect(big.reduce((n, f) => n + f.rows, 0)).toBe(25_000);
    const seen = new Set<string>();
    for (const f of big) {
      const [head, ...rows] = (await s3.read('insightflow-raw-bucket', f.key)).toString().trim().split('\n');
      expect(head).toBe('n,pad');
      expect(rows).toHaveLength(f.rows);
      for (const row of rows) seen.add(row.split(',')[0] as string);
    }
    expect(seen.size).toBe(25_000);
  });
  it('reads a header with a byte order mark, quoted names and CRLF line ends, matching columns by name', async () => {
    await put('bom/departments.csv', '\ufeff"department","department_id"\r\n"fresh, herbs",7\r\n"",8\r\n');
    const file = { table: catalog.table('departments'), bucket: STAGE, key: 'bom/departments.csv' };
    expect(await warehouse.loadStagedFile(file)).toMatchObject({ status: 'loaded', rowsLoaded: 2 });
    const rows: unknown[] = [];
    for await (const batch of warehouse.streamRows(
      'SELECT department_id, department FROM departments WHERE department_id IN (7, 8) ORDER BY 1',
    )) {
      rows.push(...batch);
    }
    // The quoted empty name is the empty string, not NULL.
    expect(rows).toEqual([
      [7, 'fresh, herbs'],
      [8, ''],
    ]);
  });
});
