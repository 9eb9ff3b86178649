import { ErrorKind, InsightFlowError } from '@insightflow/shared-config';

/**
 * The error *names* a failed invocation reports, by kind. Lambda reports a thrown error's name as
 * its `errorType`, and Step Functions matches its `Retry` / `Catch` rules on that name.
 */
export const REPORTED_ERROR_NAMES = {
  [ErrorKind.retryable]: 'InsightFlow.Retryable',
  [ErrorKind.terminal]: 'InsightFlow.Terminal',
} as const;
export type ReportedErrorName = (typeof REPORTED_ERROR_NAMES)[keyof typeof REPORTED_ERROR_NAMES];

/** The invocation event is not one the function understands (the default when a handler names no error of its own). */
export class InvalidEventError extends InsightFlowError {
  public constructor(handlerName: string, details: string) {
    super(`The ${handlerName} event is invalid: ${details}. See the event schema in its src/handler.ts.`);
    this.name = 'InvalidEventError';
  }
}

/**
 * What a handler throws when its invocation fails: the original error's message, its kind
 * as the name Lambda reports ({@link REPORTED_ERROR_NAMES}), and the original as `cause`.
 */
export class InvocationError extends InsightFlowError {
  public constructor(cause: unknown, kind: ErrorKind) {
    super(cause instanceof Error ? cause.message : String(cause), { kind, cause });
    this.name = REPORTED_ERROR_NAMES[kind];
    if (cause instanceof Error && cause.stack) this.stack = cause.stack;
  }
}

/** Errors a JavaScript engine raises for a defect in the code: the same input repeats them. */
const PROGRAMMING_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError] as const;

/**
 * Whether retrying the invocation can succeed. The rule:
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
