import { InsightFlowError, type InsightFlowErrorOptions } from '@insightflow/shared-config';

/** The object store failed or refused an operation. */
export class ObjectStoreError extends InsightFlowError {
  public constructor(message: string, options: InsightFlowErrorOptions = {}) {
    super(message, options);
    this.name = 'ObjectStoreError';
  }
}

/** The object does not exist. */
export class ObjectNotFoundError extends ObjectStoreError {
  public constructor(
    public readonly bucket: string,
    public readonly key: string,
  ) {
    super(`s3://${bucket}/${key} does not exist.`);
    this.name = 'ObjectNotFoundError';
  }
}
