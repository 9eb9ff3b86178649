import { Command } from '@commander-js/extra-typings';
import { type CliContext, createContext } from './cliContext.js';
import { downCommand } from './commands/down.js';
import { envCommand } from './commands/env.js';
import { statusCommand } from './commands/status.js';
import { upCommand } from './commands/up.js';
import type { ExitCode } from './exitCodes.js';

/** A command's implementation: takes the context and its own options, returns the exit code. */
type CommandAction<O> = (context: CliContext, options: O) => Promise<ExitCode>;

/**
 * Builds the `insightflow` command tree. `onExit` receives the exit code of the command that ran;
 * usage errors surface as commander errors from `parseAsync`.
 */
export function buildProgram(onExit: (code: ExitCode) => void): Command<[], { home?: string; json?: true }> {
  const program = new Command('insightflow')
    .description('InsightFlow: Snowflake → S3 lake → PostgreSQL, batch and streaming, locally or on AWS.')
    .version('0.1.0')
    .option('--home <dir>', 'directory for local state (default: .insightflow, or $INSIGHTFLOW_HOME)')
    .option('--json', 'print one JSON document on stdout; progress and logs go to stderr')
    .exitOverride()
    .showHelpAfterError('(run `insightflow --help` for usage)');

  const run =
    <O>(action: CommandAction<O>) =>
    async (options: O) => {
      onExit(await action(createContext(program.opts()), options));
    };

  program
    .command('up')
    .description('start the local S3 API server and PostgreSQL in the background')
    .action(run(upCommand));
  program
    .command('down')
    .description('stop the local services started by `up`, leaving no process behind')
    .action(run(downCommand));
  program
    .command('env')
    .description('print export lines for DATABASE_URL, S3_ENDPOINT, AWS credentials and bucket names')
    .action(run(envCommand));
  program
    .command('status')
    .description('show services, and row counts in the warehouse, the lake and PostgreSQL')
    .action(run(statusCommand));
  return program;
}
