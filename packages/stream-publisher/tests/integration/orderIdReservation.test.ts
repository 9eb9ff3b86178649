import { Lake, LakeDocumentInvalidError } from '@insightflow/lake';
import { S3ObjectStore } from '@insightflow/object-store';
import { instacartCatalog } from '@insightflow/shared-config';
import { startTestS3, type TestS3 } from '@insightflow/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reserveOrderIds, WATERMARK_KEY } from '../../src/index.js';

describe('Function: reserveOrderIds() (real S3 API server)', () => {
  let s3: TestS3;
  let store: S3ObjectStore;
  let lake: Lake;

  beforeAll(async () => {
    s3 = await startTestS3();
    store = new S3ObjectStore(s3.client, 'insightflow-raw-bucket');
    lake = new Lake(store, instacartCatalog());
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('starts past the warehouse’s largest order id when no watermark exists, then continues from the watermark', async () => {
    let asked = 0;
    const warehouseRange = async () => {
      asked++;
      return { maxOrderId: 1000, maxUserId: 50 };
    };
    expect(await reserveOrderIds(lake, 25, warehouseRange)).toEqual({ firstOrderId: 1001, maxUserId: 50 });
    expect(await reserveOrderIds(lake, 5, warehouseRange)).toEqual({ firstOrderId: 1026, maxUserId: 50 });
    expect(asked).toBe(1);
  });

  it('refuses a garbled watermark, naming its key, rather than reusing ids', async () => {
    await store.put(WATERMARK_KEY, '{"nextOrderId": -3}');
    const attempt = reserveOrderIds(lake, 1, async () => ({ maxOrderId: 1, maxUserId: 1 }));
    await expect(attempt).rejects.toBeInstanceOf(LakeDocumentInvalidError);
    await expect(attempt).rejects.toThrow(WATERMARK_KEY);
  });
});
