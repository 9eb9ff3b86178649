import { InsightFlowError, type InsightFlowErrorOptions } from '@insightflow/shared-config';

/** Base error of the PostgreSQL destination. */
export class DestinationError extends InsightFlowError {
  public constructor(message: string, options: InsightFlowErrorOptions = {}) {
    super(message, options);
    this.name = 'DestinationError';
  }
}

/** An object's header or key does not match the catalog: nothing from it is executed. */
export class ObjectRefusedError extends DestinationError {
  public constructor(
    public readonly key: string,
    reason: string,
  ) {
    super(`Refused s3 object ${JSON.stringify(key)}: ${reason}. Nothing from it was loaded.`);
    this.name = 'ObjectRefusedError';
  }
}

/** The fast path found bad data and the caller asked for no row-by-row fallback. */
export class CopyRefusedError extends DestinationError {
  public constructor(
    public readonly key: string,
    cause: unknown,
  ) {
    super(`COPY refused data in ${key}: it goes through the validating load instead.`, { cause });
    this.name = 'CopyRefusedError';
  }
}
