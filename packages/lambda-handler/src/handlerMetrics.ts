import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRIC_UNITS, METRICS_NAMESPACE, type MetricName } from '@insightflow/shared-config';

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
