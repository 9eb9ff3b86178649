import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { FIREHOSE_LIMITS } from '@insightflow/shared-config';
import type { EventStream, FailedEntry, StreamRecord } from '../eventStream.js';
import { failedEntries } from './failedEntries.js';

/** The EventStream port over a Kinesis Data Firehose delivery stream, Direct PUT (or the local delivery stream). */
export class FirehoseDeliveryStream implements EventStream {
  public readonly service = 'Firehose';
  public readonly limits = FIREHOSE_LIMITS;

  public constructor(
    private readonly client: FirehoseClient,
    private readonly streamName: string,
  ) {}

  public async putRecords(records: readonly StreamRecord[]): Promise<FailedEntry[]> {
    const response = await this.client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: this.streamName,
        Records: records.map(({ data }) => ({ Data: data })),
      }),
    );
    return response.FailedPutCount ? failedEntries(response.RequestResponses) : [];
  }
}
