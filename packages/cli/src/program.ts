import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { type Catalog, parseWindowTimestamp, readCliConfig, type TableName } from '@insightflow/shared-config';
import { readConfiguredCatalog } from './catalogFile.js';
import { type CliContext, createContext } from './cliContext.js';
import { cleanCommand } from './commands/clean.js';
import { discoverCommand, parseDiscoverTables } from './commands/discover.js';
import { downCommand } from './commands/down.js';
import { envCommand } from './commands/env.js';
import { generateCommand } from './commands/generate.js';
import { ingestCommand } from './commands/ingest.js';
import { loadCommand } from './commands/load.js';
import { publishCommand } from './commands/publish.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import { syncCommand } from './commands/sync.js';
import { upCommand } from './commands/up.js';
import type { ExitCode } from './exitCodes.js';

/** Parses `--tables a,b` against the catalog. */
export function parseTables(catalog: Catalog, value: string): TableName[] {
  const tables = value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = tables.filter((t) => !catalog.has(t));
  if (tables.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(
      `unknown table ${unknown.join(', ') || '(none)'}; use ${catalog.tableNames().join(', ')}`,
    );
  }
  return tables as TableName[];
}

/** Parses a number option within bounds. */
function numberIn(min: number, max: number, integer = false) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`expected ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`);
    }
    return n;
  };
}

/** Checks a window bound's form. */
function windowBound(value: string): string {
  try {
    parseWindowTimestamp(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value;
}

/** A command's implementation: takes the context and its own options, returns the exit code. */
type CommandAction<O> = (context: CliContext, options: O) => Promise<ExitCode>;

/**
 * Builds the `insightflow` command tree. `onExit` receives the exit code of the command that ran;
 * usage errors surface as commander errors from `parseAsync`.
 */
export function buildProgram(
  onExit: (code: ExitCode) => void,
): Command<[], { home?: string; json?: true; verbose?: true; catalog?: string }> {
  // The catalog of this run: read once, before the subcommand parses its options (so `--tables`
  // is checked against it), then handed to the command in its context.
  let configured: { catalog: Catalog; file: string | undefined } | undefined;
  const catalog = () => {
    if (!configured) throw new Error('The catalog is read before any command runs (the preSubcommand hook).');
    return configured;
  };
  const tablesOption = () =>
    new Option('--tables <list>', 'comma-separated catalog tables (default: all of them)').argParser((value) =>
      parseTables(catalog().catalog, value),
    );
  const program = new Command('insightflow')
    .description('InsightFlow: Snowflake → S3 lake → PostgreSQL, batch and streaming, locally or on AWS.')
    .version('0.1.0')
    .option('--home <dir>', 'directory for local state (default: .insightflow, or $INSIGHTFLOW_HOME)')
    .option('--json', 'print one JSON document on stdout; progress and logs go to stderr')
    .option('--verbose', 'on a failure, print the stack trace of the error and of its causes')
    .option(
      '--catalog <file>',
      'the table catalog, YAML or JSON (default: $INSIGHTFLOW_CATALOG, else the built-in Instacart one)',
    )
    .exitOverride()
    .showHelpAfterError('(run `insightflow --help` for usage)')
    // Before the subcommand parses its options, so `--tables` is checked against this catalog.
    .hook('preSubcommand', async () => {
      const file = program.opts().catalog ?? readCliConfig().INSIGHTFLOW_CATALOG;
      configured = { catalog: await readConfiguredCatalog(file), file };
    });

  const run =
    <O>(action: CommandAction<O>) =>
    async (options: O) => {
      onExit(await action(createContext(program.opts(), catalog()), options));
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
    .command('generate')
    .description('write deterministic Instacart-shaped CSV files to the stage bucket')
    .addOption(
      new Option('--scale <factor>', 'size relative to the real data set (1 = 37 M rows)')
        .argParser(numberIn(0.000_001, 10))
        .default(0.01),
    )
    .addOption(new Option('--seed <n>', 'random seed').argParser(numberIn(0, 0xffff_ffff, true)).default(42))
    .addOption(tablesOption())
    .action(run(generateCommand));
  program
    .command('load')
    .description("load the staged files into the warehouse's catalog tables, once each")
    .addOption(tablesOption())
    .action(run(loadCommand));
  program
    .command('ingest')
    .description('export warehouse tables to the raw bucket as CSV parts, one committed run per table')
    .addOption(tablesOption())
    .addOption(
      new Option('--batch-size <rows>', 'rows per CSV part (stream mode; unloads size files by bytes)')
        .argParser(numberIn(1, 100_000_000, true))
        .default(1_000_000),
    )
    .addOption(
      new Option(
        '--mode <mode>',
        'auto (default): the warehouse unloads tables of 100,000 rows or more, smaller ones stream; stream: rows through InsightFlow; unload: the warehouse writes every file',
      )
        .choices(['auto', 'stream', 'unload'] as const)
        .default('auto' as const),
    )
    .action(run(ingestCommand));
  program
    .command('publish')
    .description('publish fresh order events through the local Firehose delivery stream to the raw bucket')
    .addOption(new Option('--events <n>', 'how many events').argParser(numberIn(1, 10_000_000, true)).default(1000))
    .addOption(new Option('--rate <per-second>', 'events per second at most').argParser(numberIn(1, 1_000_000)))
    .addOption(
      new Option('--fail-share <0-1>', 'share of entries the local stream refuses (exercises retries)')
        .argParser(numberIn(0, 0.9))
        .default(0),
    )
    .action(run(publishCommand));
  program
    .command('discover')
    .description("read the warehouse's information schema and write a catalog document (YAML; JSON with --json)")
    .addOption(
      new Option('--tables <list>', 'comma-separated tables, any case (default: every table of the schema)').argParser(
        parseDiscoverTables,
      ),
    )
    .option('--out <file>', 'write the document to this file instead of stdout')
    .action(run(discoverCommand));
  program
    .command('sync')
    .description('load the lake into PostgreSQL, exactly once per object')
    .addOption(
      // No default: --since/--until alone mean a window, nothing at all means incremental.
      new Option('--mode <mode>', 'incremental (default): what is new; window: --since/--until; full: rebuild').choices(
        ['incremental', 'window', 'full'] as const,
      ),
    )
    .addOption(new Option('--since <YYYY-MM-DD-HHMM>', 'window start, UTC, inclusive').argParser(windowBound))
    .addOption(new Option('--until <YYYY-MM-DD-HHMM>', 'window end, UTC, inclusive').argParser(windowBound))
    .addOption(tablesOption())
    .action(run(syncCommand));
  program
    .command('clean')
    .description('build the clean layer: typed, deduplicated Parquet per table in the clean bucket (only what changed)')
    .addOption(tablesOption())
    .action(run(cleanCommand));
  program
    .command('run')
    .description('run the whole pipeline locally: generate → load → ingest → publish → clean → sync → verify')
    .addOption(
      new Option('--scale <factor>', 'size relative to the real data set (1 = 37 M rows)')
        .argParser(numberIn(0.000_001, 10))
        .default(0.02),
    )
    .addOption(new Option('--seed <n>', 'random seed').argParser(numberIn(0, 0xffff_ffff, true)).default(42))
    .addOption(
      new Option('--events <n>', 'streaming events to publish').argParser(numberIn(1, 10_000_000, true)).default(2000),
    )
    .action(run(runCommand));
  program
    .command('status')
    .description('show services, and row counts in the warehouse, the lake and PostgreSQL')
    .action(run(statusCommand));
  return program;
}
