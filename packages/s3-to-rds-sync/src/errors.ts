import { InsightFlowError, type InsightFlowErrorOptions } from '@insightflow/shared-config';

/** Base error of the sync. */
export class SyncError extends InsightFlowError {
  public constructor(message: string, options: InsightFlowErrorOptions = {}) {
    super(message, options);
    this.name = 'SyncError';
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

/** A sync request that cannot be carried out as stated (a reversed window, say). */
export class InvalidSyncRequestError extends SyncError {
  public constructor(details: string) {
    super(`The sync request is invalid: ${details}.`);
    this.name = 'InvalidSyncRequestError';
  }
}
