import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { KinesisDataStream, orderEvents, publishEvents, UndeliveredEventsError } from '../../src/index.js';

/** The order ids a PutRecords call carried, from each entry's data and partition key. */
function orderIdsOf(input: PutRecordsCommandInput): { fromData: number[]; fromKeys: string[] } {
  const records = input.Records ?? [];
  return {
    fromData: records.map((r) => JSON.parse(Buffer.from(r.Data as Uint8Array).toString('utf8')).order_id),
    fromKeys: records.map((r) => r.PartitionKey as string),
  };
}

// kinesalite never refuses an entry of a PutRecords call it accepts: the partial failures here
// come from a mocked client.
describe('Class: KinesisDataStream (partial failures: mocked Kinesis client, which kinesalite cannot produce)', () => {
  const kinesis = mockClient(KinesisClient);
  afterEach(() => kinesis.reset());
  const stream = () => new KinesisDataStream(new KinesisClient({ region: 'us-east-1' }), 'insightflow-dev-orders');
  const fast = { minRetryDelayMs: 1, maxRetryDelayMs: 2 };

  it('resends exactly the entries the answer marks with an ErrorCode, keyed by their order ids', async () => {
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({
        FailedRecordCount: 2,
        Records: [
          { SequenceNumber: '1', ShardId: 'shardId-000000000000' },
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' },
          { SequenceNumber: '2', ShardId: 'shardId-000000000000' },
          { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service failure.' },
          { SequenceNumber: '3', ShardId: 'shardId-000000000001' },
        ],
      })
      .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '4' }, { SequenceNumber: '5' }] });

    const result = await publishEvents(stream(), orderEvents({ firstOrderId: 11, maxUserId: 3 }, 5, { seed: 1 }), fast);

    expect(result).toMatchObject({ delivered: 5, calls: 2, resent: 2, batches: 1 });
    const [first, second] = kinesis.commandCalls(PutRecordsCommand).map((call) => call.args[0].input);
    expect(first?.StreamName).toBe('insightflow-dev-orders');
    expect(orderIdsOf(first as PutRecordsCommandInput)).toEqual({
      fromData: [11, 12, 13, 14, 15],
      fromKeys: ['11', '12', '13', '14', '15'],
    });
    expect(orderIdsOf(second as PutRecordsCommandInput)).toEqual({ fromData: [12, 14], fromKeys: ['12', '14'] });
  });

  it('gives up after the attempt bound, counting what was not delivered and why', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
      FailedRecordCount: input.Records?.length,
      Records: (input.Records ?? []).map(() => ({
        ErrorCode: 'ProvisionedThroughputExceededException',
        ErrorMessage: 'Rate exceeded for shard',
      })),
    }));

    const attempt = publishEvents(stream(), orderEvents({ firstOrderId: 1, maxUserId: 3 }, 7, { seed: 2 }), {
      ...fast,
      maxAttempts: 3,
    });

    await expect(attempt).rejects.toBeInstanceOf(UndeliveredEventsError);
    await expect(attempt).rejects.toThrow(
      /7 of 7 events were not delivered after 3 attempts \(last errors: ProvisionedThroughputExceededException ×7\)/,
    );
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(3);
  });

  it('treats an answer without FailedRecordCount as every entry accepted', async () => {
    kinesis.on(PutRecordsCommand).resolves({ Records: [{ SequenceNumber: '1' }] });
    const result = await publishEvents(stream(), orderEvents({ firstOrderId: 1, maxUserId: 3 }, 1, { seed: 3 }), fast);
    expect(result).toMatchObject({ delivered: 1, calls: 1, resent: 0 });
  });
});
