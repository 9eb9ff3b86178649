import { ErrorKind, InsightFlowError, type InsightFlowErrorOptions } from '@insightflow/shared-config';

/** A warehouse refused or failed a statement. */
export class WarehouseError extends InsightFlowError {
  /** The warehouse's own error code (Snowflake's, e.g. 002003), when it gave one. */
  public readonly code: string | undefined;
  /** The SQL state (e.g. 42S02), when the warehouse gave one. */
  public readonly sqlState: string | undefined;

  public constructor(
    message: string,
    options: InsightFlowErrorOptions & { code?: string | undefined; sqlState?: string | undefined } = {},
  ) {
    super(message, options);
    this.name = 'WarehouseError';
    this.code = options.code;
    this.sqlState = options.sqlState;
  }
}

/** SQL states of failures worth retrying: connection loss, resource limits, lock timeouts. */
const RETRYABLE_SQL_STATES = /^(08|53|57P0|40001)/;

/** Whether a SQL state describes a transient failure. */
export function kindForSqlState(sqlState: string | undefined): (typeof ErrorKind)[keyof typeof ErrorKind] {
  return sqlState && RETRYABLE_SQL_STATES.test(sqlState) ? ErrorKind.retryable : ErrorKind.terminal;
}
