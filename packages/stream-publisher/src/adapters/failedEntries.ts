import type { FailedEntry } from '../eventStream.js';

/**
 * The refused entries of a batch answer (Firehose's `RequestResponses`, Kinesis' `Records`): the
 * answer lists every entry in request order, and a refused one carries an `ErrorCode`.
 */
export function failedEntries(
  answers: readonly { ErrorCode?: string | undefined; ErrorMessage?: string | undefined }[] | undefined,
): FailedEntry[] {
  const failed: FailedEntry[] = [];
  (answers ?? []).forEach((entry, index) => {
    if (entry.ErrorCode) failed.push({ index, errorCode: entry.ErrorCode, errorMessage: entry.ErrorMessage ?? '' });
  });
  return failed;
}
