import { CommanderError } from '@commander-js/extra-typings';
import { InsightFlowError, SchemaChangeRefusedError } from '@insightflow/shared-config';
import { EdgeError } from './edgeErrors.js';
import { ExitCode } from './exitCodes.js';
import { buildProgram } from './program.js';
import { UsageError } from './usageError.js';

/** The error and each of its causes, with their stacks: what `--verbose` prints. */
function stackTraces(error: unknown): string {
  const traces: string[] = [];
  for (let current = error, depth = 0; current !== undefined && depth < 10; depth++) {
    traces.push(current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return traces.join('\nCaused by: ');
}

/** The one JSON error document a failure under `--json` prints on stdout. */
function errorDocument(error: unknown, name: string, message: string): unknown {
  const kind = error instanceof InsightFlowError ? error.kind : 'terminal';
  // A refused schema change lists each change (table, column, from, to, reason, fix) too.
  const refused = error instanceof SchemaChangeRefusedError ? { refused: error.refused } : {};
  const edge = error instanceof EdgeError ? error.toJSON() : {};
  return { error: { name, message, kind, ...edge, ...refused } };
}

/**
 * Runs the CLI with `argv` (as `process.argv`) and returns the process exit code. A failure is
 * printed once on stderr (`insightflow: …`), its stack trace only with `--verbose`, and under
 * `--json` also as one JSON error document on stdout.
 */
export async function main(argv: readonly string[]): Promise<ExitCode> {
  let code: ExitCode = ExitCode.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  const json = argv.includes('--json');
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end through the same path, with exit code 0; commander printed the rest.
      if (error.exitCode === 0) return ExitCode.ok;
      if (json) {
        const message = error.message.replace(/^error: /, '');
        process.stdout.write(
          `${JSON.stringify({ error: { name: 'UsageError', message, kind: 'terminal', code: error.code } }, null, 2)}\n`,
        );
      }
      return ExitCode.usage;
    }
    const known = error instanceof InsightFlowError;
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`insightflow: ${known ? '' : `${name}: `}${message}\n`);
    if (verbose) process.stderr.write(`${stackTraces(error)}\n`);
    else if (!known) process.stderr.write('(run again with --verbose for the stack trace)\n');
    if (json) process.stdout.write(`${JSON.stringify(errorDocument(error, name, message), null, 2)}\n`);
    return error instanceof UsageError ? ExitCode.usage : ExitCode.failed;
  }
}
