import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { TableIngestResult } from './ingestTable.js';

/** Reports each ingested table: one log line and its figures as CloudWatch metrics (namespace InsightFlow). */
export function tableReporter(logger: Logger): (outcome: TableIngestResult) => void {
  const metrics = new Metrics({ namespace: 'InsightFlow', serviceName: 'batch-ingest' });
  return (outcome) => {
    logger.info('table ingested', { ...outcome });
    metrics.addDimension('table', outcome.table);
    metrics.addMetric('rows', MetricUnit.Count, outcome.rows);
    metrics.addMetric('bytes', MetricUnit.Bytes, outcome.bytes);
    metrics.addMetric('parts', MetricUnit.Count, outcome.parts);
    metrics.addMetric('seconds', MetricUnit.Seconds, outcome.seconds);
    metrics.publishStoredMetrics();
  };
}
