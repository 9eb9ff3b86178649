import { type HomeLayout, resolveHomeLayout } from '@insightflow/local-services';
import { type Catalog, type CliConfig, readCliConfig } from '@insightflow/shared-config';

/** What every command gets: options, configuration, the catalog and the output channels. */
export interface CliContext {
  home: HomeLayout;
  json: boolean;
  config: CliConfig;
  /** The catalog the command runs with, read once by the program and handed to every core. */
  catalog: Catalog;
  /** The file it was read from; undefined for the built-in Instacart catalog. */
  catalogFile: string | undefined;
  /** Human-readable messages and logs: always stderr, so stdout stays machine-readable. */
  info(message: string): void;
  /** A live status line on a terminal (stderr); nothing when stderr is not a terminal. */
  progress(message: string): void;
  /** The command's result: JSON on stdout with --json, else the human text. */
  result(document: unknown, human: string): void;
}

/** Global options every command accepts. */
export interface GlobalOptions {
  home?: string;
  json?: boolean;
  /** Read by `main()`: a failure's stack trace is printed only with it. */
  verbose?: boolean;
  /** A catalog file; read by the program before the command runs (see `program.ts`). */
  catalog?: string;
}

/** Builds the context from the global options, the environment and the catalog the program read. */
export function createContext(
  options: GlobalOptions,
  catalog: { catalog: Catalog; file: string | undefined },
): CliContext {
  const config = readCliConfig();
  const json = options.json ?? false;
  return {
    home: resolveHomeLayout(options.home ?? config.INSIGHTFLOW_HOME),
    json,
    config,
    catalog: catalog.catalog,
    catalogFile: catalog.file,
    info: (message) => process.stderr.write(`${message}\n`),
    progress: (message) => {
      if (process.stderr.isTTY)
        process.stderr.write(`\r\x1b[2K${message.slice(0, (process.stderr.columns ?? 80) - 1)}`);
    },
    result: (document, human) => {
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
      process.stdout.write(json ? `${JSON.stringify(document, null, 2)}\n` : `${human}\n`);
    },
  };
}
