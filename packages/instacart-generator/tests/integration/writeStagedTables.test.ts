import { gunzipSync } from 'node:zlib';
import { S3ObjectStore } from '@insightflow/object-store';
import { startTestS3, type TestS3 } from '@insightflow/testkit';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATION_RECORD, planGeneration, productRows, writeStagedTables } from '../../src/index.js';

describe('Function: writeStagedTables() (real S3 API server)', () => {
  let s3: TestS3;
  let store: S3ObjectStore;
  const plan = planGeneration({ scale: 0.002, seed: 5 });

  beforeAll(async () => {
    s3 = await startTestS3();
    store = new S3ObjectStore(s3.client, 'insightflow-stage');
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('stages the six files under the prefix, order_products gzipped, with a generation record', async () => {
    const reports = await writeStagedTables({ store, prefix: 'a/', plan });
    expect(await s3.listKeys('insightflow-stage', 'a/')).toEqual([
      'a/_generation.json',
      'a/aisles.csv',
      'a/departments.csv',
      'a/order_products__prior.csv.gz',
      'a/order_products__train.csv.gz',
      'a/orders.csv',
      'a/products.csv',
    ]);
    const record = JSON.parse((await s3.read('insightflow-stage', `a/${GENERATION_RECORD}`)).toString());
    expect(record.rows).toEqual(plan.rows);
    for (const report of reports) expect(report.rows).toBe(plan.rows[report.table]);
  });

  it('writes RFC 4180 CSV that parses back to the generated values, messy names included', async () => {
    const text = (await s3.read('insightflow-stage', 'a/products.csv')).toString('utf8');
    const [header, ...rows] = parse(text) as string[][];
    expect(header).toEqual(['product_id', 'product_name', 'aisle_id', 'department_id']);
    expect(rows.map((r) => r[1])).toEqual([...productRows(plan)].map((r) => r[1]));
  });

  it('writes NULL as an empty field', async () => {
    const [, ...rows] = parse((await s3.read('insightflow-stage', 'a/orders.csv')).toString()) as string[][];
    const firstOrders = rows.filter((r) => r[3] === '1');
    expect(firstOrders.length).toBe(plan.users);
    expect(firstOrders.every((r) => r[6] === '')).toBe(true);
  });

  it('gzips order_products with a header row', async () => {
    const csv = gunzipSync(await s3.read('insightflow-stage', 'a/order_products__prior.csv.gz')).toString();
    const rows = parse(csv) as string[][];
    expect(rows[0]).toEqual(['order_id', 'product_id', 'add_to_cart_order', 'reordered']);
    expect(rows.length - 1).toBe(plan.rows.order_products_prior);
  });

  it('writes identical bytes for the same seed', async () => {
    const first = await writeStagedTables({ store, prefix: 'b/', plan });
    const second = await writeStagedTables({ store, prefix: 'c/', plan });
    expect(second.map((r) => r.sha256)).toEqual(first.map((r) => r.sha256));
    const gz = 'order_products__train.csv.gz';
    expect((await s3.read('insightflow-stage', `b/${gz}`)).equals(await s3.read('insightflow-stage', `c/${gz}`))).toBe(
      true,
    );
  });
});
