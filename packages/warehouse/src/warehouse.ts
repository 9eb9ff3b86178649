import type { TableName } from '@insightflow/shared-config';

/**
 * The Warehouse port: what InsightFlow needs from a SQL warehouse (Snowflake on AWS, DuckDB
 * locally). Adapters live in `adapters/`.
 */
export interface Warehouse {
  /** Which adapter this is, for messages and metrics. */
  readonly kind: 'duckdb' | 'snowflake';
  /** Row count of a catalog table, or undefined when the table does not exist yet. */
  countRows(table: TableName): Promise<number | undefined>;
  /** Releases the connection. */
  close(): Promise<void>;
}
