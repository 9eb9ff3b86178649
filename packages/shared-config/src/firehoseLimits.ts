/**
 * Kinesis Data Firehose's PutRecordBatch limits: what the publisher batches within and what
 * the local delivery stream refuses beyond.
 */
export const FIREHOSE_LIMITS = {
  /** Records per PutRecordBatch call. */
  recordsPerCall: 500,
  /** Bytes per call, all records together. */
  bytesPerCall: 4 * 1024 * 1024,
  /** Bytes per record (1,000 KiB). */
  bytesPerRecord: 1_000 * 1024,
  /** Firehose records have no partition key (the publisher's key is not sent). */
  partitionKeyCounts: false,
} as const;
