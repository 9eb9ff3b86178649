import { InsightFlowError } from '@insightflow/shared-config';

/** The invocation event is not one the loader understands. */
export class InvalidLoadEventError extends InsightFlowError {
  public constructor(details: string) {
    super(
      `The snowflake-loader event is invalid: ${details}. Send {} to load every table, or {"tables": ["orders", …]}.`,
    );
    this.name = 'InvalidLoadEventError';
  }
}
