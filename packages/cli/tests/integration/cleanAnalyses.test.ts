import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { attachCleanTables } from '@insightflow/clean-layer';
import { findRunningServices, resolveHomeLayout } from '@insightflow/local-services';
import { S3ObjectStore } from '@insightflow/object-store';
import { SYNC_SCHEMA } from '@insightflow/postgres-destination';
import { CleanPointerSchema, cleanPointerKey, instacartCatalog, LOCAL_DEFAULTS } from '@insightflow/shared-config';
import { localS3Client } from '@insightflow/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempHome, runCli } from '../helpers/runCli.js';

/**
 * The analyses people run on the Instacart data, in SQL both engines speak. Each orders its
 * output completely (ties broken by ids), and counts are integers, so answers compare exactly.
 */
const ANALYSES = {
  'top products': `SELECT p.product_id, p.product_name, count(*) AS times_ordered
    FROM order_products_prior AS op JOIN products AS p ON p.product_id = op.product_id
    GROUP BY p.product_id, p.product_name ORDER BY times_ordered DESC, p.product_id LIMIT 20`,
  'reorder rate by department': `SELECT d.department_id, d.department, sum(op.reordered) AS reordered, count(*) AS lines
    FROM order_products_prior AS op
    JOIN products AS p ON p.product_id = op.product_id
    JOIN departments AS d ON d.department_id = p.department_id
    GROUP BY d.department_id, d.department ORDER BY d.department_id`,
  'orders by hour': `SELECT order_hour_of_day, count(*) AS orders FROM orders GROUP BY order_hour_of_day ORDER BY order_hour_of_day`,
  'orders by eval_set': `SELECT eval_set, count(*) AS orders, count(days_since_prior_order) AS with_prior FROM orders GROUP BY eval_set ORDER BY eval_set`,
  'basket sizes': `SELECT basket, count(*) AS orders FROM (
      SELECT order_id, count(*) AS basket FROM order_products_prior GROUP BY order_id
    ) AS baskets GROUP BY basket ORDER BY basket`,
} as const;

/** Rows as plain JSON: numbers whatever the driver's integer type (pg's bigint is text, DuckDB's a bigint). */
const normalise = (rows: Record<string, unknown>[]) =>
  rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [
        k,
        typeof v === 'bigint' || (typeof v === 'string' && /^\d+$/.test(v)) ? Number(v) : v,
      ]),
    ),
  );

describe('Analyses over the clean Parquet (DuckDB) and over PostgreSQL after sync give identical answers', () => {
  let home: string;
  beforeAll(async () => {
    home = await makeTempHome();
    const up = await runCli(['--home', home, 'up']);
    expect(up.code, up.stderr).toBe(0);
    const run = await runCli(['--home', home, 'run', '--scale', '0.003', '--events', '400']);
    expect(run.code, run.stderr).toBe(0);
  });
  afterAll(async () => {
    await runCli(['--home', home, 'down']);
  });

  it('top products, reorder rate by department, orders by hour and eval_set, basket sizes', async () => {
    const services = await findRunningServices(resolveHomeLayout(home));
    if (!services) throw new Error('the local services are not running after `insightflow up`');
    const s3 = localS3Client(services.s3Endpoint, { credentials: services.s3Credentials });
    const clean = new S3ObjectStore(s3, LOCAL_DEFAULTS.cleanBucket);
    const pointers = [];
    const catalog = instacartCatalog();
    for (const table of catalog.tableNames()) {
      const { body } = await clean.get(cleanPointerKey(catalog, table));
      pointers.push(
        CleanPointerSchema.parse(JSON.parse(await body.toArray().then((c) => Buffer.concat(c).toString()))),
      );
    }
    const directory = await mkdtemp(path.join(tmpdir(), 'insightflow-analyses-'));
    const instance = await DuckDBInstance.create(':memory:');
    const duck = await instance.connect();
    const client = new pg.Client({ connectionString: services.databaseUrl });
    await client.connect();
    try {
      await attachCleanTables(duck, clean, pointers, directory);
      await client.query(`SET search_path TO ${SYNC_SCHEMA}`);
      for (const [name, sql] of Object.entries(ANALYSES)) {
        const overParquet = normalise((await duck.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]);
        const overPostgres = normalise((await client.query(sql)).rows);
        expect(overParquet.length, name).toBeGreaterThan(0);
        expect(overParquet, name).toEqual(overPostgres);
      }
    } finally {
      await client.end();
      duck.closeSync();
      instance.closeSync();
      s3.destroy();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
