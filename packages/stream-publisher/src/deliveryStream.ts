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
   * Sends one batch (within `FIREHOSE_LIMITS` of shared-config). Resolves with the entries that were refused; the
   * call itself succeeding does not mean every entry was accepted.
   */
  putRecordBatch(records: readonly Uint8Array[]): Promise<FailedEntry[]>;
}
