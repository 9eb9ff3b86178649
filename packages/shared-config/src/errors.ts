/**
 * Whether retrying the same operation can succeed.
 * - `terminal`: the input or configuration is wrong; retrying repeats the failure.
 * - `retryable`: a service was unavailable or throttled; the same call may succeed later.
 */
export const ErrorKind = {
  terminal: 'terminal',
  retryable: 'retryable',
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

/** Options accepted by every InsightFlow error. */
export interface InsightFlowErrorOptions {
  /** Defaults to `terminal`: an error is only retryable when someone says so. */
  kind?: ErrorKind;
  /** The lower-level error this one explains. */
  cause?: unknown;
}

/**
 * Base class of every error InsightFlow raises on purpose. The message names the object,
 * the offending value and the fix; `kind` drives retries.
 */
export class InsightFlowError extends Error {
  public readonly kind: ErrorKind;

  public constructor(message: string, options: InsightFlowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InsightFlowError';
    this.kind = options.kind ?? ErrorKind.terminal;
  }

  /** True when the same operation may succeed if tried again. */
  public get retryable(): boolean {
    return this.kind === ErrorKind.retryable;
  }
}

/** A configuration value (usually an environment variable) is missing or malformed. */
export class ConfigError extends InsightFlowError {
  /** One entry per offending variable. */
  public readonly problems: readonly ConfigProblem[];

  public constructor(runtime: string, problems: readonly ConfigProblem[]) {
    const lines = problems.map(
      (p) => `  - ${p.variable}: ${p.received === undefined ? 'not set' : `got ${p.received}`}; expected ${p.expected}`,
    );
    super(
      `Invalid ${runtime} configuration:\n${lines.join('\n')}\n` +
        'Set these variables in the environment (for a Lambda: its stack; locally: `eval "$(npx insightflow env)"`).',
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** One bad configuration variable, described without revealing secret values. */
export interface ConfigProblem {
  variable: string;
  /** The value as it may be shown (secrets are masked), or undefined when unset. */
  received: string | undefined;
  expected: string;
}

/** An object key or timestamp does not follow the lake layout. */
export class LakeKeyError extends InsightFlowError {
  public constructor(
    public readonly key: string,
    reason: string,
    expected = 'Batch parts look like data/batch/<table>/year=YYYY/month=MM/day=DD/hhmm=HHMM/<table>_part<N>.csv (UTC).',
  ) {
    super(`Lake key ${JSON.stringify(key)} is not valid: ${reason}. ${expected}`);
    this.name = 'LakeKeyError';
  }
}

/** A table name is not one of the catalog's. */
export class UnknownTableError extends InsightFlowError {
  public constructor(
    public readonly table: string,
    known: readonly string[],
  ) {
    super(`Unknown table ${JSON.stringify(table)}: InsightFlow's catalog has ${known.join(', ')}.`);
    this.name = 'UnknownTableError';
  }
}

/**
 * A SQL identifier that is not a catalog name. Identifiers come only from the catalog (they cannot
 * be bind parameters), whose names are checked when it is read: reaching this is a defect.
 */
export class InvalidIdentifierError extends InsightFlowError {
  public constructor(public readonly identifier: string) {
    super(
      `${JSON.stringify(identifier)} is not a catalog name (lower-case letters, digits and _, not starting with a digit), ` +
        'so it is not quoted into SQL: SQL identifiers come only from the catalog. Check the name in the catalog, or what passed it.',
    );
    this.name = 'InvalidIdentifierError';
  }
}

/** A stream name is not one of the catalog's streams. */
export class UnknownStreamError extends InsightFlowError {
  public constructor(
    public readonly stream: string,
    known: readonly string[],
  ) {
    super(
      `Unknown stream ${JSON.stringify(stream)}: the catalog's streams are ${known.length > 0 ? known.join(', ') : '(none)'}. ` +
        'Add it under streams in the catalog, or use one of those.',
    );
    this.name = 'UnknownStreamError';
  }
}
