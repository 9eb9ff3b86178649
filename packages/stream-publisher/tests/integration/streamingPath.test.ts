import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { type LocalDeliveryStream, startLocalDeliveryStream } from '@insightflow/local-services';
import { S3ObjectStore } from '@insightflow/object-store';
import { instacartCatalog, streamingErrorPrefix, streamingPrefix } from '@insightflow/shared-config';
import { startTestS3, type TestS3 } from '@insightflow/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FirehoseDeliveryStream, orderEvents, publishEvents, UndeliveredEventsError } from '../../src/index.js';

const STREAM = 'insightflow-local-orders';
/** The catalog stream the publisher's order events travel on. */
const ORDERS = 'orders';
const catalog = instacartCatalog();
const STREAMING_PREFIX = streamingPrefix(catalog, ORDERS);
const RAW = 'insightflow-raw-bucket';

describe('Streaming path: publisher → local Firehose → stream-transformer → raw bucket (real S3 API server)', () => {
  let s3: TestS3;
  let delivery: LocalDeliveryStream | undefined;
  let transform: Parameters<typeof startLocalDeliveryStream>[0]['transform'];

  beforeAll(async () => {
    s3 = await startTestS3();
    // The transformer function's configuration: the stream it serves.
    vi.stubEnv('STREAM_NAME', ORDERS);
    ({ handler: transform } = (await import('@insightflow/stream-transformer/handler')) as never);
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });
  afterEach(async () => {
    await delivery?.stop();
    delivery = undefined;
  });

  const clientFor = (endpoint: string) =>
    new FirehoseClient({
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });

  async function linesUnder(prefix: string): Promise<string[]> {
    const lines: string[] = [];
    for (const key of await s3.listKeys(RAW, prefix)) {
      lines.push(...(await s3.read(RAW, key)).toString('utf8').split('\n').filter(Boolean));
    }
    return lines;
  }

  it('delivers 10 000 events exactly once each as orders rows, with 10 % of entries refused and resent', async () => {
    const store = new S3ObjectStore(s3.client, RAW);
    delivery = await startLocalDeliveryStream({
      stream: ORDERS,
      catalog,
      streamName: STREAM,
      store,
      transform,
      failShare: 0.1,
      bufferMs: 200,
    });
    const client = clientFor(delivery.endpoint);
    const result = await publishEvents(
      new FirehoseDeliveryStream(client, STREAM),
      orderEvents({ firstOrderId: 5_000_001, maxUserId: 2000 }, 10_000, { seed: 1 }),
      { minRetryDelayMs: 10, maxRetryDelayMs: 50 },
    );
    await delivery.flush();
    client.destroy();

    expect(result.delivered).toBe(10_000);
    expect(result.resent).toBeGreaterThan(500);
    expect(delivery.stats.refused).toBe(result.resent);
    const rows = (await linesUnder(STREAMING_PREFIX)).map((l) => JSON.parse(l));
    expect(rows).toHaveLength(10_000);
    const ids = rows.map((r) => r.order_id).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 10_000 }, (_, i) => 5_000_001 + i));
    expect(Object.keys(rows[0])).toEqual([
      'order_id',
      'user_id',
      'eval_set',
      'order_number',
      'order_dow',
      'order_hour_of_day',
      'days_since_prior_order',
    ]);
    expect(rows.filter((r) => r.order_number === 1).every((r) => r.days_since_prior_order === null)).toBe(true);
    for (const key of await s3.listKeys(RAW, STREAMING_PREFIX)) {
      expect(key).toMatch(
        /^data\/streaming\/orders\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hhmm=\d{4}\/insightflow-local-orders-1-/,
      );
    }
  });

  it('sends 50 malformed records to the error prefix and none to the data prefix', async () => {
    await s3.server.stop();
    s3 = await startTestS3();
    const store = new S3ObjectStore(s3.client, RAW);
    delivery = await startLocalDeliveryStream({
      stream: ORDERS,
      catalog,
      streamName: STREAM,
      store,
      transform,
      bufferMs: 100,
    });
    const client = clientFor(delivery.endpoint);
    const malformed = Array.from({ length: 50 }, (_, i) =>
      i % 2 === 0 ? `{"order_id": ${i}, "eval_set": "prior"` : JSON.stringify({ order_id: i, user_id: 'seven' }),
    );
    const response = await client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: STREAM,
        Records: malformed.map((m) => ({ Data: Buffer.from(m) })),
      }),
    );
    expect(response.FailedPutCount).toBe(0);
    await delivery.flush();
    client.destroy();

    expect(await s3.listKeys(RAW, STREAMING_PREFIX)).toEqual([]);
    const errors = (await linesUnder(`${streamingErrorPrefix(catalog, ORDERS)}processing-failed/`)).map((l) =>
      JSON.parse(l),
    );
    expect(errors).toHaveLength(50);
    expect(errors.map((e) => Buffer.from(e.rawData, 'base64').toString()).sort()).toEqual([...malformed].sort());
    expect(errors[0].errorCode).toBe('Lambda.ProcessingFailedStatus');
  });

  it('gives up after the attempt bound, counting what was not delivered', async () => {
    const store = new S3ObjectStore(s3.client, RAW);
    delivery = await startLocalDeliveryStream({
      stream: ORDERS,
      catalog,
      streamName: STREAM,
      store,
      transform,
      failShare: 1,
    });
    const client = clientFor(delivery.endpoint);
    const attempt = publishEvents(
      new FirehoseDeliveryStream(client, STREAM),
      orderEvents({ firstOrderId: 9_000_001, maxUserId: 10 }, 20, { seed: 2 }),
      { maxAttempts: 3, minRetryDelayMs: 5, maxRetryDelayMs: 10 },
    );
    await expect(attempt).rejects.toBeInstanceOf(UndeliveredEventsError);
    await expect(attempt).rejects.toThrow(
      /20 of 20 events were not delivered after 3 attempts.*ServiceUnavailableException ×20/,
    );
    client.destroy();
  });
});
