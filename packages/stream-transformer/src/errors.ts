import { InsightFlowError } from '@insightflow/shared-config';

/** The invocation is not a Firehose data-transformation event. */
export class InvalidFirehoseEventError extends InsightFlowError {
  public constructor(details: string) {
    super(
      `Not a Firehose data-transformation event: ${details}. The function expects ` +
        '{invocationId, deliveryStreamArn, region, records: [{recordId, approximateArrivalTimestamp, data}]}.',
    );
    this.name = 'InvalidFirehoseEventError';
  }
}
