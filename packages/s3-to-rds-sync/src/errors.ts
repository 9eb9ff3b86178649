import { InsightFlowError, type InsightFlowErrorOptions } from '@insightflow/shared-config';

/** Base error of the sync. */
export class SyncError extends InsightFlowError {
  public constructor(message: string, options: InsightFlowErrorOptions = {}) {
    super(message, options);
    this.name = 'SyncError';
  }
}

/** An object's header or key does not match the catalog: nothing from it is executed. */
export class ObjectRefusedError extends SyncError {
  public constructor(
    public readonly key: string,
    reason: string,
  ) {
    super(`Refused s3 object ${JSON.stringify(key)}: ${reason}. Nothing from it was loaded.`);
    this.name = 'ObjectRefusedError';
  }
}

/** The invocation event is not one the sync understands. */
export class InvalidSyncEventError extends SyncError {
  public constructor(details: string) {
    super(
      `The s3-to-rds-sync event is invalid: ${details}. Send {} (incremental), ` +
        '{"mode": "window", "start_ts": "YYYY-MM-DD-HHMM", "end_ts": "YYYY-MM-DD-HHMM"} or {"mode": "full", "tables": [...]}.',
    );
    this.name = 'InvalidSyncEventError';
  }
}
