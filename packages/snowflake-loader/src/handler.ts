import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { readSnowflakeLoaderConfig, s3ClientOptions, TABLE_NAMES } from '@insightflow/shared-config';
import { openWarehouse, type Warehouse } from '@insightflow/warehouse';
import { z } from 'zod';
import { InvalidLoadEventError } from './errors.js';
import { type LoadSummary, loadStagedFiles } from './loadStagedFiles.js';

/** `{}` (or a scheduled event) loads every table; `{"tables": [...]}` loads those. */
export const LoadEventSchema = z.looseObject({
  tables: z.array(z.enum(TABLE_NAMES)).min(1).optional(),
});

const config = readSnowflakeLoaderConfig();
const logger = new Logger({ serviceName: 'snowflake-loader' });
const s3 = new S3Client(s3ClientOptions(config));
// Opened on first use and reused while the execution environment stays warm.
let warehouse: Promise<Warehouse> | undefined;

/** Lambda entry point: load the staged files named by the event. */
export async function handler(event: unknown): Promise<LoadSummary> {
  const parsed = LoadEventSchema.safeParse(event ?? {});
  if (!parsed.success) throw new InvalidLoadEventError(z.prettifyError(parsed.error));
  warehouse ??= openWarehouse(config, {
    s3,
    stages: { source: { bucket: config.STAGE_BUCKET, prefix: config.STAGE_PREFIX } },
    log: (message) => logger.error('snowflake driver', { message }),
  });
  const summary = await loadStagedFiles(
    await warehouse,
    { bucket: config.STAGE_BUCKET, prefix: config.STAGE_PREFIX },
    parsed.data.tables,
    (report) => logger.info('staged file', { ...report, problems: report.problems.slice(0, 5) }),
  );
  logger.info('load finished', {
    rows: summary.rows,
    rejected: summary.rejected,
    filesLoaded: summary.filesLoaded,
    filesSkipped: summary.filesSkipped,
    filesRejected: summary.filesRejected,
  });
  return summary;
}
