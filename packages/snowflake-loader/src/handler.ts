import { S3Client } from '@aws-sdk/client-s3';
import { defineHandler } from '@insightflow/lambda-handler';
import { type Catalog, readSnowflakeLoaderConfig, s3ClientOptions, tableNameSchema } from '@insightflow/shared-config';
import { describeCatalogTableChange, openWarehouse } from '@insightflow/warehouse';
import { z } from 'zod';
import { InvalidLoadEventError } from './errors.js';
import { loadStagedFiles } from './loadStagedFiles.js';

/** `{}` (or a scheduled event) loads every table; `{"tables": [...]}` loads those. */
export const loadEventSchema = (catalog: Catalog) =>
  z.looseObject({ tables: z.array(tableNameSchema(catalog)).min(1).optional() });

/** Lambda entry point: load the staged files named by the event. */
export const handler = defineHandler(
  { name: 'snowflake-loader', eventSchema: loadEventSchema, invalidEvent: (d) => new InvalidLoadEventError(d) },
  async ({ logger, tracer }) => {
    const config = readSnowflakeLoaderConfig();
    const s3 = tracer.captureAWSv3Client(new S3Client(s3ClientOptions(config)));
    const stage = { bucket: config.STAGE_BUCKET, prefix: config.STAGE_PREFIX };
    // Opened once and reused while the execution environment stays warm.
    const warehouse = await openWarehouse(config, {
      s3,
      stages: { source: stage },
      log: (message) => logger.error('snowflake driver', { message }),
    });
    return { stage, warehouse };
  },
  async ({ tables }, { stage, warehouse }, { logger, catalog }) => {
    const summary = await loadStagedFiles(warehouse, catalog, stage, tables, (report) =>
      logger.info('staged file', { ...report, problems: report.problems.slice(0, 5) }),
    );
    for (const change of summary.schemaChanges)
      logger.info('catalog table changed', { change: describeCatalogTableChange(change) });
    const { rows, rejected, filesLoaded, filesSkipped, filesRejected } = summary;
    logger.info('load finished', { rows, rejected, filesLoaded, filesSkipped, filesRejected });
    return summary;
  },
  (summary) => [
    { values: { rows: summary.rows, rejected: summary.rejected, refused: summary.filesRejected } },
    ...Object.entries(summary.tables).map(([table, t]) => ({ table, values: { rows: t.rows, rejected: t.rejected } })),
  ],
);
