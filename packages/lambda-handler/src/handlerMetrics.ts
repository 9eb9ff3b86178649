import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** The CloudWatch namespace of every InsightFlow metric. */
export const METRICS_NAMESPACE = 'InsightFlow';

/**
 * Every metric an InsightFlow handler publishes, and its unit: the one definition. Each name is a
 * field of the result the handler returns — the same figures the CLI prints with `--json` — so a
 * graph and a script read the same numbers.
 */
export const METRIC_UNITS = {
  /** Rows moved (loaded, ingested, delivered, synced, written clean). */
  rows: MetricUnit.Count,
  /** Bytes moved. */
  bytes: MetricUnit.Bytes,
  /** Rows rejected (quarantined with their reason). */
  rejected: MetricUnit.Count,
  /** Objects or runs refused (a key, manifest or header that does not fit the catalog). */
  refused: MetricUnit.Count,
  /** Seconds the work took. */
  seconds: MetricUnit.Seconds,
  /** The sync: age of the oldest lake object not yet loaded. */
  lagSeconds: MetricUnit.Seconds,
  /** The transformer: Firehose records by result. */
  recordsOk: MetricUnit.Count,
  recordsDropped: MetricUnit.Count,
  recordsProcessingFailed: MetricUnit.Count,
  /** The publisher: records sent, and entries Firehose refused that were sent again. */
  recordsSent: MetricUnit.Count,
  recordsResent: MetricUnit.Count,
} as const;
export type MetricName = keyof typeof METRIC_UNITS;

/** One set of figures: per table (dimension `table`) or, without a table, for the whole invocation. */
export interface MetricFigures {
  table?: string;
  values: Partial<Record<MetricName, number>>;
}

/**
 * Publishes figures as CloudWatch embedded metrics (EMF, through Powertools Metrics): one
 * document per set, dimensions `service`, `environment` and, when given, `table`. Values that are
 * not finite numbers are left out.
 */
export function publishFigures(service: string, environment: string, figures: readonly MetricFigures[]): void {
  for (const set of figures) {
    const metrics = new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName: service,
      defaultDimensions: { environment, ...(set.table ? { table: set.table } : {}) },
    });
    let added = 0;
    for (const [name, value] of Object.entries(set.values) as [MetricName, number | undefined][]) {
      if (value === undefined || !Number.isFinite(value)) continue;
      metrics.addMetric(name, METRIC_UNITS[name], value);
      added++;
    }
    if (added > 0) metrics.publishStoredMetrics();
  }
}
