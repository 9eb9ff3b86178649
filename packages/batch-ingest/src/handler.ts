import { S3Client } from '@aws-sdk/client-s3';
import { defineHandler } from '@insightflow/lambda-handler';
import { S3ObjectStore } from '@insightflow/object-store';
import { type Catalog, readBatchIngestConfig, s3ClientOptions, tableNameSchema } from '@insightflow/shared-config';
import { openWarehouse } from '@insightflow/warehouse';
import { z } from 'zod';
import { InvalidIngestEventError, TablesFailedError } from './errors.js';
import { ingestTables } from './ingestTables.js';
import { tableReporter } from './tableReporter.js';

/**
 * A Step Functions Map item (`{"table": "orders", "runAt": …}`), a list of tables, or an
 * EventBridge scheduled event (whose `time` is the run's trigger time); tables of `catalog`.
 */
export const ingestEventSchema = (catalog: Catalog) =>
  z.looseObject({
    table: tableNameSchema(catalog).optional(),
    tables: z.array(tableNameSchema(catalog)).min(1).optional(),
    runAt: z.iso.datetime({ offset: true }).optional(),
    time: z.iso.datetime({ offset: true }).optional(),
    mode: z.enum(['auto', 'stream', 'unload']).optional(),
    batchSize: z.number().int().positive().optional(),
  });

/** Lambda entry point: export the event's tables (one per invocation under the orchestration). */
export const handler = defineHandler(
  { name: 'batch-ingest', eventSchema: ingestEventSchema, invalidEvent: (d) => new InvalidIngestEventError(d) },
  async ({ logger, tracer }) => {
    const config = readBatchIngestConfig();
    const s3 = tracer.captureAWSv3Client(new S3Client(s3ClientOptions(config)));
    // Opened once and reused while the execution environment stays warm.
    const warehouse = await openWarehouse(config, {
      s3,
      stages: { raw: { bucket: config.RAW_BUCKET, stageName: config.RAW_STAGE } },
      log: (message) => logger.error('snowflake driver', { message }),
    });
    return { config, warehouse, store: new S3ObjectStore(s3, config.RAW_BUCKET), onTable: tableReporter(logger) };
  },
  async ({ table, tables, runAt, time, mode, batchSize }, { config, warehouse, store, onTable }, invocation) => {
    const { logger, remainingMs, catalog } = invocation;
    const result = await ingestTables(
      { catalog, warehouse, store, ...(remainingMs ? { remainingMs } : {}) },
      table ? [table] : (tables ?? catalog.tableNames()),
      {
        runAt: new Date(runAt ?? time ?? Date.now()),
        mode: mode ?? config.INGEST_MODE,
        batchSize: batchSize ?? config.BATCH_SIZE,
      },
      onTable,
    );
    for (const { table: failed, error } of result.failures) logger.error('table failed', { table: failed, error });
    // Committed tables stay committed; a retry finds their manifests and skips them.
    if (result.failures.length > 0) throw new TablesFailedError(result.failures);
    return result;
  },
  (result) => [
    { values: { rows: result.rows, rejected: result.rejected } },
    ...Object.values(result.tables).map((t) => ({
      table: t.table,
      values: { rows: t.rows, bytes: t.bytes, rejected: t.rejected, seconds: t.seconds },
    })),
  ],
);
