import { type ErrorKind, InsightFlowError, REPORTED_ERROR_NAMES } from '@insightflow/shared-config';

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
