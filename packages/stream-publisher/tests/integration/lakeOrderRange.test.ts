import { Lake } from '@insightflow/lake';
import { S3ObjectStore } from '@insightflow/object-store';
import { instacartCatalog } from '@insightflow/shared-config';
import { startTestS3, type TestS3 } from '@insightflow/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lakeOrderRange, PublishError } from '../../src/index.js';

const RAW = 'insightflow-raw-bucket';
const COLUMNS = [
  'order_id',
  'user_id',
  'eval_set',
  'order_number',
  'order_dow',
  'order_hour_of_day',
  'days_since_prior_order',
];

describe('Function: lakeOrderRange() (real S3 API server)', () => {
  let s3: TestS3;
  let store: S3ObjectStore;
  let lake: Lake;

  /** Commits a run of `orders` whose parts hold `parts` (CSV text after the header). */
  async function commitOrdersRun(runAt: Date, parts: string[]): Promise<void> {
    await lake.beginRun('orders', runAt);
    const listed = [];
    for (const [part, body] of parts.entries()) {
      const key = lake.partKey('orders', runAt, part);
      const text = `${COLUMNS.join(',')}\n${body}`;
      const info = await store.put(key, text);
      listed.push({ key, rows: body.split('\n').filter(Boolean).length, bytes: text.length, etag: info.etag });
    }
    const at = runAt.toISOString();
    await lake.commitRun({
      version: 1,
      table: 'orders',
      runAt: at,
      mode: 'stream',
      kind: 'snapshot',
      source: 'duckdb',
      query: 'SELECT * FROM orders',
      columns: COLUMNS,
      parts: listed,
      rows: listed.reduce((n, p) => n + p.rows, 0),
      bytes: listed.reduce((n, p) => n + p.bytes, 0),
      startedAt: at,
      finishedAt: at,
    });
  }

  beforeAll(async () => {
    s3 = await startTestS3();
    store = new S3ObjectStore(s3.client, RAW);
    lake = new Lake(store, instacartCatalog());
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('refuses, as retryable, when the lake holds no orders run yet, saying to ingest orders first', async () => {
    const attempt = lakeOrderRange(lake);
    await expect(attempt).rejects.toBeInstanceOf(PublishError);
    await expect(attempt).rejects.toThrow(/no committed batch run of orders.*ingest orders first/);
    await expect(attempt).rejects.toMatchObject({ kind: 'retryable' });
  });

  it('finds the largest order and user ids across every part of the newest run, through quotes and NULLs', async () => {
    await commitOrdersRun(new Date('2026-12-01T10:00:00Z'), ['900000,99999,prior,1,0,8,\n']);
    await commitOrdersRun(new Date('2026-12-02T10:00:00Z'), [
      '7,3,prior,1,2,10,\n"12","40","pr""ior, or not",2,3,11,7\r\n',
      // The last record has no line break; a NULL user id takes nothing.
      '9,,"train\nwith a line break",3,1,9,2\n11,25,prior,4,1,9,30',
    ]);
    expect(await lakeOrderRange(lake)).toEqual({ maxOrderId: 12, maxUserId: 40 });
  });
});
