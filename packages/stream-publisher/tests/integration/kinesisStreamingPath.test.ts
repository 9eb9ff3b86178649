import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { kinesisCheckpointKey, type LocalDeliveryStream, startLocalDeliveryStream } from '@insightflow/local-services';
import type { ObjectStore } from '@insightflow/object-store';
import { S3ObjectStore } from '@insightflow/object-store';
import { instacartCatalog, streamingErrorPrefix, streamingPrefix } from '@insightflow/shared-config';
import type { FirehoseTransformationEvent } from '@insightflow/stream-transformer';
import { startTestKinesis, startTestS3, type TestKinesis, type TestS3 } from '@insightflow/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { KinesisDataStream, orderEvents, publishEvents } from '../../src/index.js';

const ORDERS = 'orders';
const catalog = instacartCatalog();
const RAW = 'insightflow-raw-bucket';
const DELIVERY = 'insightflow-local-orders';

describe('Kinesis path: publisher → Kinesis data stream (kinesalite) → local Firehose → stream-transformer → raw bucket (real S3 API server)', () => {
  let s3: TestS3;
  let kinesis: TestKinesis;
  let handler: (event: FirehoseTransformationEvent) => Promise<never>;
  /** Every event the transformer was invoked with. */
  let events: FirehoseTransformationEvent[];
  let stream: string;
  let streamCount = 0;
  const open: LocalDeliveryStream[] = [];

  beforeAll(async () => {
    [s3, kinesis] = await Promise.all([startTestS3(), startTestKinesis()]);
    vi.stubEnv('STREAM_NAME', ORDERS);
    // The real transformer handler: it parses the event with Powertools' Firehose schema,
    // kinesisRecordMetadata included.
    ({ handler } = (await import('@insightflow/stream-transformer/handler')) as never);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await kinesis?.stop();
    await s3?.stop();
  });
  beforeEach(async () => {
    // A stream and a clean bucket prefix per test.
    stream = `insightflow-test-orders-${++streamCount}`;
    await kinesis.createStream(stream);
    const store = new S3ObjectStore(s3.client, RAW);
    await store.delete(await s3.listKeys(RAW));
    events = [];
  });
  afterEach(async () => {
    for (const delivery of open.splice(0)) await delivery.stop();
  });

  async function startDelivery(store: ObjectStore = new S3ObjectStore(s3.client, RAW)): Promise<LocalDeliveryStream> {
    const delivery = await startLocalDeliveryStream({
      stream: ORDERS,
      catalog,
      streamName: DELIVERY,
      store,
      transform: (event) => {
        events.push(event);
        return handler(event);
      },
      source: { kinesis: kinesis.client, streamName: stream },
      bufferBytes: 64 * 1024,
      bufferMs: 100,
    });
    open.push(delivery);
    return delivery;
  }

  async function deliveredOrderIds(): Promise<number[]> {
    const ids: number[] = [];
    for (const key of await s3.listKeys(RAW, streamingPrefix(catalog, ORDERS))) {
      for (const line of (await s3.read(RAW, key)).toString('utf8').split('\n').filter(Boolean)) {
        ids.push(JSON.parse(line).order_id);
      }
    }
    return ids.sort((a, b) => a - b);
  }

  const range = (first: number, count: number) => Array.from({ length: count }, (_, i) => first + i);

  it('delivers 3 000 events put with PutRecords exactly once each, read from every shard, with Firehose’s Kinesis-source record metadata', async () => {
    const delivery = await startDelivery();
    const result = await publishEvents(
      new KinesisDataStream(kinesis.client, stream),
      orderEvents({ firstOrderId: 7_000_001, maxUserId: 500 }, 3_000, { seed: 3 }),
    );
    await delivery.flush();

    // 500 records per call at most: kinesalite refuses a bigger PutRecords.
    expect(result).toMatchObject({ delivered: 3_000, calls: 6, resent: 0 });
    expect(await deliveredOrderIds()).toEqual(range(7_000_001, 3_000));
    expect(delivery.stats).toMatchObject({ accepted: 3_000, ok: 3_000, processingFailed: 0 });
    const records = events.flatMap((e) => e.records);
    expect(records).toHaveLength(3_000);
    expect(new Set(events.map((e) => e.sourceKinesisStreamArn))).toEqual(
      new Set([`arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`]),
    );
    // Each record's partition key is its order id, and both shards carried orders.
    for (const record of records) {
      const order = JSON.parse(Buffer.from(record.data, 'base64').toString('utf8'));
      expect(record.kinesisRecordMetadata).toMatchObject({
        partitionKey: String(order.order_id),
        subsequenceNumber: 0,
        approximateArrivalTimestamp: record.approximateArrivalTimestamp,
      });
      expect(record.kinesisRecordMetadata?.sequenceNumber).toMatch(/^\d+$/);
    }
    expect(new Set(records.map((r) => r.kinesisRecordMetadata?.shardId))).toEqual(
      new Set(['shardId-000000000000', 'shardId-000000000001']),
    );
  });

  it('continues after its checkpoint when started again: what was delivered is not delivered twice, what came meanwhile is delivered', async () => {
    const events_ = new KinesisDataStream(kinesis.client, stream);
    const first = await startDelivery();
    await publishEvents(events_, orderEvents({ firstOrderId: 1, maxUserId: 10 }, 400, { seed: 4 }));
    await first.flush();
    await first.stop();
    open.splice(open.indexOf(first), 1);
    // Published while no delivery loop runs.
    await publishEvents(events_, orderEvents({ firstOrderId: 401, maxUserId: 10 }, 300, { seed: 5 }));

    const second = await startDelivery();
    await second.flush();

    expect(second.stats.accepted).toBe(300);
    expect(await deliveredOrderIds()).toEqual(range(1, 700));
  });

  it('reads a data stream created anew (the Kinesis API server restarted, its streams gone) from its start, past the old checkpoint', async () => {
    const first = await startDelivery();
    await publishEvents(
      new KinesisDataStream(kinesis.client, stream),
      orderEvents({ firstOrderId: 50_001, maxUserId: 10 }, 120, { seed: 7 }),
    );
    await first.flush();
    await first.stop();
    open.splice(open.indexOf(first), 1);
    // kinesalite keeps streams in memory: a new server has none, and the pipeline creates the stream again.
    await kinesis.stop();
    kinesis = await startTestKinesis();
    await kinesis.createStream(stream);
    await publishEvents(
      new KinesisDataStream(kinesis.client, stream),
      orderEvents({ firstOrderId: 50_121, maxUserId: 10 }, 80, { seed: 8 }),
    );

    const second = await startDelivery();
    await second.flush();

    expect(second.stats.accepted).toBe(80);
    expect(await deliveredOrderIds()).toEqual(range(50_001, 200));
  });

  it('replays a batch whose objects were written before a crash under the same keys, so no record lands twice', async () => {
    const store = new S3ObjectStore(s3.client, RAW);
    const checkpointKey = kinesisCheckpointKey(DELIVERY);
    // The process "dies" right after the objects of its first batch are written: every later
    // write of the checkpoint (the batch's commit first) fails.
    let checkpointPuts = 0;
    const dying: ObjectStore = Object.create(store, {
      put: {
        value: async (key: string, body: string | Buffer, contentType?: string) => {
          if (key === checkpointKey && ++checkpointPuts > 1) throw new Error('killed');
          return store.put(key, body, contentType);
        },
      },
    });
    await publishEvents(
      new KinesisDataStream(kinesis.client, stream),
      orderEvents({ firstOrderId: 100_001, maxUserId: 10 }, 250, { seed: 6 }),
    );
    const crashed = await startDelivery(dying);
    await expect(crashed.flush()).rejects.toThrow('killed');
    await crashed.stop();
    open.splice(open.indexOf(crashed), 1);
    const objectsBefore = await s3.listKeys(RAW, streamingPrefix(catalog, ORDERS));
    expect(objectsBefore).toHaveLength(1);
    const pending = JSON.parse((await s3.read(RAW, checkpointKey)).toString('utf8'));
    expect(pending.pending).toBeDefined();

    const restarted = await startDelivery(store);
    await restarted.flush();

    // The replay wrote the same object again, nothing beside it.
    expect(await s3.listKeys(RAW, streamingPrefix(catalog, ORDERS))).toEqual(objectsBefore);
    expect(await deliveredOrderIds()).toEqual(range(100_001, 250));
    const committed = JSON.parse((await s3.read(RAW, checkpointKey)).toString('utf8'));
    expect(committed.pending).toBeUndefined();
    expect(Object.values(committed.shards).every((s) => (s as { delivered?: string }).delivered)).toBe(true);
  });

  it('sends records that are not order rows to the error prefix, with their bytes', async () => {
    const delivery = await startDelivery();
    const malformed = ['{"order_id": 1', JSON.stringify({ order_id: 2, user_id: 'seven' })];
    const answer = await kinesis.client.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: malformed.map((m, i) => ({ Data: Buffer.from(m), PartitionKey: String(i) })),
      }),
    );
    expect(answer.FailedRecordCount).toBe(0);
    await delivery.flush();

    expect(await s3.listKeys(RAW, streamingPrefix(catalog, ORDERS))).toEqual([]);
    const errorKeys = await s3.listKeys(RAW, `${streamingErrorPrefix(catalog, ORDERS)}processing-failed/`);
    const errors = [];
    for (const key of errorKeys) {
      errors.push(
        ...(await s3.read(RAW, key))
          .toString('utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      );
    }
    expect(errors.map((e) => Buffer.from(e.rawData, 'base64').toString()).sort()).toEqual([...malformed].sort());
  });

  it('refuses Direct PUT, as Firehose does for a delivery stream whose source is a data stream', async () => {
    const delivery = await startDelivery();
    const firehose = new FirehoseClient({
      region: 'us-east-1',
      endpoint: delivery.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await expect(
      firehose.send(
        new PutRecordBatchCommand({ DeliveryStreamName: DELIVERY, Records: [{ Data: Buffer.from('{}') }] }),
      ),
    ).rejects.toThrow(/not permitted on KinesisStreamAsSource/);
    firehose.destroy();
  });
});
