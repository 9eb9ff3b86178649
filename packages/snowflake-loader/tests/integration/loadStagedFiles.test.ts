import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { planGeneration, writeStagedTables } from '@insightflow/instacart-generator';
import { S3ObjectStore } from '@insightflow/object-store';
import { Catalog, type CatalogDocument, instacartCatalog, SchemaChangeRefusedError } from '@insightflow/shared-config';
import { startTestS3, type TestS3 } from '@insightflow/testkit';
import { DuckDbWarehouse } from '@insightflow/warehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStagedFiles } from '../../src/index.js';

const stage = { bucket: 'insightflow-stage', prefix: 'instacart/' };

describe('Function: loadStagedFiles() (DuckDB warehouse, real S3 API server)', () => {
  let s3: TestS3;
  let warehouse: DuckDbWarehouse;
  const plan = planGeneration({ scale: 0.002, seed: 3 });

  beforeAll(async () => {
    s3 = await startTestS3();
    await writeStagedTables({ store: new S3ObjectStore(s3.client, stage.bucket), prefix: stage.prefix, plan });
    // A catalogue export gone wrong: product 3's aisle is text, product 5 lost a column.
    const products = ['product_id,product_name,aisle_id,department_id'];
    for (let id = 1; id <= 10; id++) products.push(`${id},"Product ${id}, ""fine""",${id === 3 ? 'aisle' : 1},2`);
    products[5] = '5,"Product 5",1';
    await s3.client.send(
      new PutObjectCommand({ Bucket: stage.bucket, Key: 'instacart/products.csv', Body: `${products.join('\n')}\n` }),
    );
    const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-loader-'));
    warehouse = await DuckDbWarehouse.open({ path: path.join(dir, 'w.duckdb'), s3: s3.client });
  });
  afterAll(async () => {
    await warehouse?.close();
    await s3?.stop();
  });

  it('loads every good file, rejects the bad one whole with its lines, and reports the totals', async () => {
    const summary = await loadStagedFiles(warehouse, instacartCatalog(), stage);
    expect(summary.schemaChanges).toEqual(
      instacartCatalog()
        .tableNames()
        .map((table) => ({ table, kind: 'create' })),
    );
    expect(summary.filesLoaded).toBe(5);
    expect(summary.filesRejected).toBe(1);
    expect(summary.tables.products?.files[0]?.problems.map((p) => p.line)).toEqual([4, 6]);
    expect(summary.rejected).toBe(2);
    expect(await warehouse.countRows('products')).toBe(0);
    for (const table of ['aisles', 'departments', 'orders', 'order_products_prior', 'order_products_train'] as const) {
      expect(await warehouse.countRows(table), table).toBe(plan.rows[table]);
    }
    expect(summary.rows).toBe(
      plan.rows.aisles +
        plan.rows.departments +
        plan.rows.orders +
        plan.rows.order_products_prior +
        plan.rows.order_products_train,
    );
  });

  it('loads nothing twice: a second run skips every loaded file and loads the fixed one', async () => {
    await writeStagedTables({
      store: new S3ObjectStore(s3.client, stage.bucket),
      prefix: stage.prefix,
      plan,
      tables: ['products'],
    });
    const summary = await loadStagedFiles(warehouse, instacartCatalog(), stage);
    expect(summary).toMatchObject({ filesLoaded: 1, filesSkipped: 5, filesRejected: 0, rows: plan.rows.products });
    expect(summary.schemaChanges).toEqual([]);
    expect(await warehouse.countRows('products')).toBe(plan.rows.products);
  });

  it('refuses a narrowing in the catalog before loading anything, naming table, column and both types', async () => {
    const document = structuredClone(instacartCatalog().document) as CatalogDocument;
    const orders = document.tables.find((t) => t.name === 'orders');
    const column = orders?.columns.find((c) => c.name === 'days_since_prior_order');
    if (!column) throw new Error('the Instacart catalog has no orders.days_since_prior_order');
    column.type = 'smallint';
    await s3.client.send(
      new PutObjectCommand({
        Bucket: stage.bucket,
        Key: 'instacart/aisles.csv',
        Body: 'aisle_id,aisle\n999,new aisle\n',
      }),
    );
    const narrowed = Catalog.fromDocument(document, 'the Instacart catalog, narrowed');
    const error = await loadStagedFiles(warehouse, narrowed, stage).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaChangeRefusedError);
    expect((error as Error).message).toMatch(
      /orders\.days_since_prior_order: real → smallint: a narrowing could lose values/,
    );
    // The rewritten aisles file would have loaded: nothing did.
    expect(await warehouse.countRows('aisles')).toBe(plan.rows.aisles);
  });
});
