import { InsightFlowError, type InsightFlowErrorOptions } from '@insightflow/shared-config';

/** Base error of the stacks. */
export class StacksError extends InsightFlowError {
  public constructor(message: string, options: InsightFlowErrorOptions = {}) {
    super(message, options);
    this.name = 'StacksError';
  }
}

/** A Lambda package's zip has not been built. */
export class LambdaBundleMissingError extends StacksError {
  public constructor(zipPath: string) {
    super(`${zipPath} is missing: run \`npm run build\` before synthesising the stacks.`);
    this.name = 'LambdaBundleMissingError';
  }
}
