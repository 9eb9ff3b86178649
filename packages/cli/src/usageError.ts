import { InsightFlowError } from '@insightflow/shared-config';

/**
 * The command line asks for something that cannot be done as stated (a window that ends before
 * it starts, say): exit code 2, like a malformed option, with a pointer to the command's help.
 */
export class UsageError extends InsightFlowError {
  public constructor(
    message: string,
    /** The command whose `--help` explains the options. */
    public readonly command: string,
    cause?: unknown,
  ) {
    super(`${message}\n(run \`insightflow ${command} --help\` for usage)`, { cause });
    this.name = 'UsageError';
  }
}
