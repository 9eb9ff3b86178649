import { ErrorKind, InsightFlowError } from './errors.js';

/**
 * How a failure is classified for retries, wherever it is caught: by a handler (which reports the
 * kind's name to Lambda) or by a core that gathers several failures into one error.
 */

/**
 * The error *names* a failed invocation reports, by kind. Lambda reports a thrown error's name as
 * its `errorType`, and Step Functions matches its `Retry` / `Catch` rules on that name.
 */
export const REPORTED_ERROR_NAMES = {
  [ErrorKind.retryable]: 'InsightFlow.Retryable',
  [ErrorKind.terminal]: 'InsightFlow.Terminal',
} as const;
export type ReportedErrorName = (typeof REPORTED_ERROR_NAMES)[keyof typeof REPORTED_ERROR_NAMES];

/** Errors a JavaScript engine raises for a defect in the code: the same input repeats them. */
const PROGRAMMING_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError] as const;

/**
 * Whether retrying the operation can succeed. The rule:
 * 1. an {@link InsightFlowError} says so itself (`kind`);
 * 2. an AWS SDK service error is retryable when the SDK marks it so (`$retryable`, throttling)
 *    or the service is at fault (`$fault: 'server'`), and terminal when the request was at fault
 *    (access denied, validation);
 * 3. a programming error (TypeError, RangeError, ReferenceError, SyntaxError) is terminal;
 * 4. anything else — a dropped connection, a driver's error — is retryable: what we did not
 *    raise on purpose is most often a service or the network failing, and the orchestration's
 *    retries are bounded.
 */
export function errorKindOf(error: unknown): ErrorKind {
  if (error instanceof InsightFlowError) return error.kind;
  if (typeof error === 'object' && error !== null && '$fault' in error) {
    const sdk = error as { $fault?: string; $retryable?: unknown };
    return sdk.$retryable || sdk.$fault === 'server' ? ErrorKind.retryable : ErrorKind.terminal;
  }
  if (PROGRAMMING_ERRORS.some((type) => error instanceof type)) return ErrorKind.terminal;
  return ErrorKind.retryable;
}

/**
 * The kind of a failure made of several (tables of one run, of one build): retryable only when
 * every one of them is, so a retry is spent only on what can pass.
 */
export function kindOfAll(errors: readonly unknown[]): ErrorKind {
  return errors.every((error) => errorKindOf(error) === ErrorKind.retryable) ? ErrorKind.retryable : ErrorKind.terminal;
}
