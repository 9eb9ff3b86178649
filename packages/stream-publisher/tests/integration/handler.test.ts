import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { S3ObjectStore } from '@insightflow/object-store';
import { startTestKinesis, startTestS3, type TestKinesis, type TestS3, writeTestRun } from '@insightflow/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const RAW = 'insightflow-raw-bucket';
const STREAM = 'insightflow-dev-orders';

describe('Lambda handler: stream-publisher with INSIGHTFLOW_STREAM_SOURCE=kinesis (real kinesalite and S3 API server)', () => {
  let s3: TestS3;
  let kinesis: TestKinesis;
  let handler: (event: { events?: number }) => Promise<{ delivered: number; firstOrderId: number }>;

  beforeAll(async () => {
    [s3, kinesis] = await Promise.all([startTestS3(), startTestKinesis()]);
    await kinesis.createStream(STREAM);
    // The lake's orders run: the first order id continues past its largest (41).
    await writeTestRun(new S3ObjectStore(s3.client, RAW), 'orders', new Date('2026-12-01T14:00:00Z'), [
      ['41,12,prior,3,2,10,7'],
    ]);
    // Exactly the variables the streaming stack sets with a Kinesis source, plus the local endpoints.
    vi.stubEnv('RAW_BUCKET', RAW);
    vi.stubEnv('S3_ENDPOINT', s3.endpoint);
    vi.stubEnv('INSIGHTFLOW_STREAM_SOURCE', 'kinesis');
    vi.stubEnv('KINESIS_STREAM_NAME', STREAM);
    vi.stubEnv('KINESIS_ENDPOINT', kinesis.endpoint);
    vi.stubEnv('AWS_ACCESS_KEY_ID', s3.server.credentials.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', s3.server.credentials.secretAccessKey);
    ({ handler } = (await import('../../src/handler.js')) as never);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await kinesis?.stop();
    await s3?.stop();
  });

  it('puts a burst to the data stream with PutRecords, each record keyed by its order id', async () => {
    const result = await handler({ events: 25 });
    expect(result).toMatchObject({ delivered: 25, firstOrderId: 42 });

    const { Shards } = await kinesis.client.send(new ListShardsCommand({ StreamName: STREAM }));
    const records = [];
    for (const shard of Shards ?? []) {
      const { ShardIterator } = await kinesis.client.send(
        new GetShardIteratorCommand({ StreamName: STREAM, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      records.push(...((await kinesis.client.send(new GetRecordsCommand({ ShardIterator }))).Records ?? []));
    }
    const orders = records.map((r) => ({
      key: r.PartitionKey,
      order: JSON.parse(Buffer.from(r.Data as Uint8Array).toString('utf8')),
    }));
    expect(orders.map((o) => o.order.order_id).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 25 }, (_, i) => 42 + i),
    );
    expect(orders.every((o) => o.key === String(o.order.order_id))).toBe(true);
  });
});
