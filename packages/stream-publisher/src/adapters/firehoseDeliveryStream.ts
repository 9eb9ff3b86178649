import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { DeliveryStream, FailedEntry } from '../deliveryStream.js';

/** The DeliveryStream port over Kinesis Data Firehose (or the local delivery stream). */
export class FirehoseDeliveryStream implements DeliveryStream {
  public constructor(
    private readonly client: FirehoseClient,
    private readonly streamName: string,
  ) {}

  public async putRecordBatch(records: readonly Uint8Array[]): Promise<FailedEntry[]> {
    const response = await this.client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: this.streamName,
        Records: records.map((Data) => ({ Data })),
      }),
    );
    if (!response.FailedPutCount) return [];
    const failed: FailedEntry[] = [];
    (response.RequestResponses ?? []).forEach((entry, index) => {
      if (entry.ErrorCode) {
        failed.push({ index, errorCode: entry.ErrorCode, errorMessage: entry.ErrorMessage ?? '' });
      }
    });
    return failed;
  }
}
