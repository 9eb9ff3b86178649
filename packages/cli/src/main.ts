import { CommanderError } from '@commander-js/extra-typings';
import { InsightFlowError } from '@insightflow/shared-config';
import { ExitCode } from './exitCodes.js';
import { buildProgram } from './program.js';

/** Runs the CLI with `argv` (as `process.argv`) and returns the process exit code. */
export async function main(argv: readonly string[]): Promise<ExitCode> {
  let code: ExitCode = ExitCode.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end through the same path, with exit code 0.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const known = error instanceof InsightFlowError;
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`insightflow: ${known ? '' : `${name}: `}${message}\n`);
    if (!known && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    if (json) {
      const kind = error instanceof InsightFlowError ? error.kind : 'terminal';
      process.stdout.write(`${JSON.stringify({ error: { name, message, kind } }, null, 2)}\n`);
    }
    return ExitCode.failed;
  }
}
