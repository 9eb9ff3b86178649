import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { KINESIS_LIMITS } from '@insightflow/shared-config';
import type { EventStream, FailedEntry, StreamRecord } from '../eventStream.js';
import { failedEntries } from './failedEntries.js';

/**
 * The EventStream port over a Kinesis data stream (the source of a Firehose delivery stream, or
 * the local Kinesis API server): PutRecords with each record's partition key.
 */
export class KinesisDataStream implements EventStream {
  public readonly service = 'Kinesis Data Streams';
  public readonly limits = KINESIS_LIMITS;

  public constructor(
    private readonly client: KinesisClient,
    private readonly streamName: string,
  ) {}

  public async putRecords(records: readonly StreamRecord[]): Promise<FailedEntry[]> {
    const response = await this.client.send(
      new PutRecordsCommand({
        StreamName: this.streamName,
        Records: records.map(({ data, partitionKey }) => ({ Data: data, PartitionKey: partitionKey })),
      }),
    );
    return response.FailedRecordCount ? failedEntries(response.Records) : [];
  }
}
