/**
 * The DeliveryStream port: what the publisher needs from Kinesis Data Firehose.
 */

/** One entry Firehose refused within an otherwise successful call. */
export interface FailedEntry {
  /** Index of the entry in the batch that was sent. */
  index: number;
  errorCode: string;
  errorMessage: string;
}

/** A Firehose delivery stream. */
export interface DeliveryStream {
  /**
   * Sends one batch (≤ 500 records, ≤ 4 MiB). Resolves with the entries that were refused; the
   * call itself succeeding does not mean every entry was accepted.
   */
  putRecordBatch(records: readonly Uint8Array[]): Promise<FailedEntry[]>;
}

/** PutRecordBatch limits. */
export const FIREHOSE_LIMITS = {
  recordsPerCall: 500,
  bytesPerCall: 4 * 1024 * 1024,
  bytesPerRecord: 1_000 * 1024,
} as const;
