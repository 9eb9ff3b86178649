import { resolveHomeLayout } from '@insightflow/local-services';
import { type Catalog, type CliConfig, instacartCatalog } from '@insightflow/shared-config';
import type { CliContext } from '../../src/cliContext.js';

/** A CLI context that records what a command prints instead of writing to stdout and stderr. */
export interface RecordingContext extends CliContext {
  stdout: string[];
  stderr: string[];
}

/**
 * A context for calling a command function directly. Its configuration is empty: only for
 * commands given their endpoints by the test. Its catalog is the built-in one unless given.
 */
export function recordingContext(home: string, options: { json?: boolean; catalog?: Catalog } = {}): RecordingContext {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const json = options.json ?? false;
  return {
    home: resolveHomeLayout(home),
    json,
    config: {} as CliConfig,
    catalog: options.catalog ?? instacartCatalog(),
    catalogFile: undefined,
    stdout,
    stderr,
    info: (message) => stderr.push(message),
    progress: () => undefined,
    result: (document, human) => stdout.push(json ? JSON.stringify(document, null, 2) : human),
  };
}
