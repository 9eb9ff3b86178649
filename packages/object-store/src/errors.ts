import { InsightFlowError, type InsightFlowErrorOptions } from '@insightflow/shared-config';

/** The object store failed or refused an operation. */
export class ObjectStoreError extends InsightFlowError {
  /** The bucket the operation was on, when the store knows it. */
  public readonly bucket: string | undefined;

  public constructor(message: string, options: InsightFlowErrorOptions & { bucket?: string } = {}) {
    super(message, options);
    this.name = 'ObjectStoreError';
    this.bucket = options.bucket;
  }
}

/** The object does not exist. */
export class ObjectNotFoundError extends ObjectStoreError {
  public constructor(
    public override readonly bucket: string,
    public readonly key: string,
  ) {
    super(`s3://${bucket}/${key} does not exist.`, { bucket });
    this.name = 'ObjectNotFoundError';
  }
}
