/**
 * Kinesis Data Streams' PutRecords limits: what the publisher batches within when it writes to a
 * data stream. Unlike Firehose, a record's partition key counts toward its size and the call's.
 */
export const KINESIS_LIMITS = {
  /** Records per PutRecords call. */
  recordsPerCall: 500,
  /** Bytes per call, all records' data and partition keys together (5 MiB). */
  bytesPerCall: 5 * 1024 * 1024,
  /** Bytes per record, data and partition key together (1 MiB). */
  bytesPerRecord: 1024 * 1024,
  /** The partition key counts toward a record's size. */
  partitionKeyCounts: true,
} as const;
