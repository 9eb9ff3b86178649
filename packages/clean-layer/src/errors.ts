import { type ErrorKind, InsightFlowError, type InsightFlowErrorOptions, kindOfAll } from '@insightflow/shared-config';

/** Base error of the clean layer. */
export class CleanLayerError extends InsightFlowError {
  public constructor(message: string, options: InsightFlowErrorOptions = {}) {
    super(message, options);
    this.name = 'CleanLayerError';
  }
}

/** The invocation event is not one the clean-layer function understands. */
export class InvalidCleanEventError extends CleanLayerError {
  public constructor(details: string) {
    super(`The clean-layer event is invalid: ${details}. Send {} for every table, or {"tables": ["orders"]} for some.`);
    this.name = 'InvalidCleanEventError';
  }
}

/** The engine failed to build one table; the previous version stays published. */
export class CleanBuildError extends CleanLayerError {
  public constructor(table: string, engine: string, detail: string, options: InsightFlowErrorOptions = {}) {
    super(
      `Building the clean table ${table} with ${engine} failed: ${detail}. The previous version stays published; ` +
        'fix the cause and run the clean stage again (it rebuilds only the tables whose raw inputs changed).',
      options,
    );
    this.name = 'CleanBuildError';
  }
}

/** An Athena query ended FAILED or CANCELLED. */
export class AthenaQueryError extends CleanLayerError {
  public constructor(queryId: string, state: string, reason: string, sql: string, kind: ErrorKind) {
    super(
      `Athena query ${queryId} ended ${state}: ${reason}. Its SQL begins ${JSON.stringify(sql.slice(0, 160))}. ` +
        'The query history of the workgroup has the full text and statistics.',
      { kind },
    );
    this.name = 'AthenaQueryError';
  }
}

/** Some tables failed to build (the others are published). Retryable when every failure is. */
export class CleanTablesFailedError extends CleanLayerError {
  public constructor(public readonly failures: readonly { table: string; error: Error }[]) {
    super(
      `${failures.length} clean table(s) failed: ${failures.map((f) => `${f.table} (${f.error.message})`).join('; ')}`,
      {
        kind: kindOfAll(failures.map((f) => f.error)),
        cause: failures[0]?.error,
      },
    );
    this.name = 'CleanTablesFailedError';
  }
}
