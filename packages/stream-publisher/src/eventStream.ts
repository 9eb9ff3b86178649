/**
 * The EventStream port: what the publisher needs from the service its events go to first —
 * Kinesis Data Firehose (Direct PUT) or a Kinesis data stream that Firehose reads.
 */

/** One event as sent: its bytes, and the key that places it on a shard (a data stream's; Firehose ignores it). */
export interface StreamRecord {
  data: Uint8Array;
  partitionKey: string;
}

/** One entry the service refused within an otherwise successful call. */
export interface FailedEntry {
  /** Index of the entry in the batch that was sent. */
  index: number;
  errorCode: string;
  errorMessage: string;
}

/** What one call may carry (`FIREHOSE_LIMITS` or `KINESIS_LIMITS` of shared-config). */
export interface EventStreamLimits {
  readonly recordsPerCall: number;
  readonly bytesPerCall: number;
  readonly bytesPerRecord: number;
  /** Whether a record's partition key counts toward its size and the call's. */
  readonly partitionKeyCounts: boolean;
}

/** A stream the publisher puts batches of records to. */
export interface EventStream {
  /** The service, as errors name it: "Firehose", "Kinesis Data Streams". */
  readonly service: string;
  readonly limits: EventStreamLimits;
  /**
   * Sends one batch (within {@link limits}). Resolves with the entries that were refused; the
   * call itself succeeding does not mean every entry was accepted.
   */
  putRecords(records: readonly StreamRecord[]): Promise<FailedEntry[]>;
}
