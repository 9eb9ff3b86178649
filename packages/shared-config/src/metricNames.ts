/**
 * The metrics InsightFlow's handlers publish: a contract between the handlers (which publish them
 * through `defineHandler`) and the stacks' dashboard and alarms (which read them), so it lives
 * here rather than in either.
 */

/** The CloudWatch namespace of every InsightFlow metric. */
export const METRICS_NAMESPACE = 'InsightFlow';

/**
 * Every metric an InsightFlow handler publishes, and its unit (CloudWatch's spelling): the one
 * definition. Each name is a field of the result the handler returns — the same figures the CLI
 * prints with `--json` — so a graph and a script read the same numbers.
 */
export const METRIC_UNITS = {
  /** Rows moved (loaded, ingested, delivered, synced, written clean). */
  rows: 'Count',
  /** Bytes moved. */
  bytes: 'Bytes',
  /** Rows rejected (quarantined with their reason). */
  rejected: 'Count',
  /** Objects or runs refused (a key, manifest or header that does not fit the catalog). */
  refused: 'Count',
  /** Seconds the work took. */
  seconds: 'Seconds',
  /** The sync: age of the oldest lake object not yet loaded. */
  lagSeconds: 'Seconds',
  /** The transformer: Firehose records by result. */
  recordsOk: 'Count',
  recordsDropped: 'Count',
  recordsProcessingFailed: 'Count',
  /** The publisher: records sent, and entries Firehose refused that were sent again. */
  recordsSent: 'Count',
  recordsResent: 'Count',
} as const;
export type MetricName = keyof typeof METRIC_UNITS;
