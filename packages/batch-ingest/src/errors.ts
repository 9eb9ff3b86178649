import { InsightFlowError, type InsightFlowErrorOptions, kindOfAll } from '@insightflow/shared-config';

/** Base error of the batch-ingest package. */
export class BatchIngestError extends InsightFlowError {
  public constructor(message: string, options: InsightFlowErrorOptions = {}) {
    super(message, options);
    this.name = 'BatchIngestError';
  }
}

/** The table cannot be streamed within the invocation's remaining time. */
export class TimeBudgetError extends BatchIngestError {
  public constructor(table: string, rows: number, neededSeconds: number, remainingSeconds: number) {
    super(
      `Table ${table} has ${rows.toLocaleString('en')} rows: streaming it needs about ${Math.ceil(neededSeconds)} s ` +
        `but only ${Math.floor(remainingSeconds)} s remain. Ingest it with mode "unload" (the warehouse writes ` +
        'the files itself), or raise the function timeout.',
    );
    this.name = 'TimeBudgetError';
  }
}

/** The invocation event is not one batch-ingest understands. */
export class InvalidIngestEventError extends BatchIngestError {
  public constructor(details: string) {
    super(
      `The batch-ingest event is invalid: ${details}. Send {"table": "orders"} (optionally with "runAt", "mode", ` +
        '"batchSize"), or a scheduled event.',
    );
    this.name = 'InvalidIngestEventError';
  }
}

/**
 * Some tables of a run failed (committed ones stay committed; a retry finds their manifests and
 * skips them). Retryable when every failure is, so the orchestration retries only what can pass.
 */
export class TablesFailedError extends BatchIngestError {
  public constructor(public readonly failures: readonly { table: string; error: Error }[]) {
    super(
      `Ingest failed for ${failures.map((f) => f.table).join(', ')}: ${failures.map((f) => f.error.message).join(' | ')}`,
      {
        kind: kindOfAll(failures.map((f) => f.error)),
        cause: failures[0]?.error,
      },
    );
    this.name = 'TablesFailedError';
  }
}
