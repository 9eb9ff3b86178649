import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '@insightflow/object-store';
import { readBatchIngestConfig, s3ClientOptions, TABLE_NAMES } from '@insightflow/shared-config';
import { openWarehouse, type Warehouse } from '@insightflow/warehouse';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { BatchIngestError, InvalidIngestEventError } from './errors.js';
import { ingestTables, type RunIngestResult } from './ingestTables.js';

/**
 * A Step Functions Map item (`{"table": "orders", "runAt": …}`), a list of tables, or an
 * EventBridge scheduled event (whose `time` is the run's trigger time).
 */
export const IngestEventSchema = z.looseObject({
  table: z.enum(TABLE_NAMES).optional(),
  tables: z.array(z.enum(TABLE_NAMES)).min(1).optional(),
  runAt: z.iso.datetime({ offset: true }).optional(),
  time: z.iso.datetime({ offset: true }).optional(),
  mode: z.enum(['stream', 'unload']).optional(),
  batchSize: z.number().int().positive().optional(),
});

const config = readBatchIngestConfig();
const logger = new Logger({ serviceName: 'batch-ingest' });
const metrics = new Metrics({ namespace: 'InsightFlow', serviceName: 'batch-ingest' });
const s3 = new S3Client(s3ClientOptions(config));
const store = new S3ObjectStore(s3, config.RAW_BUCKET);
// Opened on first use and reused while the execution environment stays warm.
let warehouse: Promise<Warehouse> | undefined;

/** Lambda entry point: export the event's tables (one per invocation under the orchestration). */
export async function handler(event: unknown, context?: Context): Promise<RunIngestResult> {
  const parsed = IngestEventSchema.safeParse(event ?? {});
  if (!parsed.success) throw new InvalidIngestEventError(z.prettifyError(parsed.error));
  const { table, tables, runAt, time, mode, batchSize } = parsed.data;
  warehouse ??= openWarehouse(config, {
    s3,
    stages: { raw: { bucket: config.RAW_BUCKET, stageName: config.RAW_STAGE } },
    log: (message) => logger.error('snowflake driver', { message }),
  });
  const result = await ingestTables(
    {
      warehouse: await warehouse,
      store,
      ...(context ? { remainingMs: () => context.getRemainingTimeInMillis() } : {}),
    },
    table ? [table] : (tables ?? TABLE_NAMES),
    {
      runAt: new Date(runAt ?? time ?? Date.now()),
      mode: mode ?? config.INGEST_MODE,
      batchSize: batchSize ?? config.BATCH_SIZE,
    },
    (outcome) => {
      logger.info('table ingested', { ...outcome });
      metrics.addDimension('table', outcome.table);
      metrics.addMetric('rows', MetricUnit.Count, outcome.rows);
      metrics.addMetric('bytes', MetricUnit.Bytes, outcome.bytes);
      metrics.addMetric('parts', MetricUnit.Count, outcome.parts);
      metrics.addMetric('seconds', MetricUnit.Seconds, outcome.seconds);
      metrics.publishStoredMetrics();
    },
  );
  for (const failure of result.failures) {
    logger.error('table failed', { table: failure.table, error: failure.error });
  }
  if (result.failures.length > 0) {
    // Committed tables stay committed; a retry finds their manifests and skips them.
    throw new BatchIngestError(
      `Ingest failed for ${result.failures.map((f) => f.table).join(', ')}: ${result.failures
        .map((f) => f.error.message)
        .join(' | ')}`,
    );
  }
  return result;
}
