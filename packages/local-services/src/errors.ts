import { InsightFlowError, type InsightFlowErrorOptions } from '@insightflow/shared-config';

/** A local service could not be started, reached or stopped. */
export class LocalServiceError extends InsightFlowError {
  public constructor(message: string, options: InsightFlowErrorOptions = {}) {
    super(message, options);
    this.name = 'LocalServiceError';
  }
}
