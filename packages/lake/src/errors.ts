import { InsightFlowError, type InsightFlowErrorOptions } from '@insightflow/shared-config';

/** The lake refused or could not complete an operation. */
export class LakeError extends InsightFlowError {
  public constructor(message: string, options: InsightFlowErrorOptions = {}) {
    super(message, options);
    this.name = 'LakeError';
  }
}

/** A JSON document the caller expected in the lake does not exist. */
export class LakeDocumentMissingError extends LakeError {
  public constructor(
    public readonly bucket: string,
    public readonly key: string,
  ) {
    super(`s3://${bucket}/${key} does not exist. Check the key, or write the document first.`);
    this.name = 'LakeDocumentMissingError';
  }
}

/** A JSON document in the lake is not JSON, or does not fit its schema. */
export class LakeDocumentInvalidError extends LakeError {
  public constructor(
    public readonly bucket: string,
    public readonly key: string,
    /** What was wrong, without the location: `not JSON (…)` or the schema's first complaint. */
    public readonly reason: string,
  ) {
    super(`s3://${bucket}/${key} is not a valid document: ${reason}. Rewrite or remove the object.`);
    this.name = 'LakeDocumentInvalidError';
  }
}

/** A run cannot be begun or committed as asked (already committed, or a manifest naming foreign parts). */
export class RunRefusedError extends LakeError {
  public constructor(
    public readonly key: string,
    reason: string,
  ) {
    super(`Run ${key} refused: ${reason}.`);
    this.name = 'RunRefusedError';
  }
}
