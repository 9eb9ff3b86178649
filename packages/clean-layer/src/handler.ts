import { AthenaClient } from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { Lake } from '@insightflow/lake';
import { defineHandler } from '@insightflow/lambda-handler';
import { S3ObjectStore } from '@insightflow/object-store';
import { type Catalog, readCleanLayerConfig, s3ClientOptions, tableNameSchema } from '@insightflow/shared-config';
import { z } from 'zod';
import { AthenaCleanEngine } from './adapters/athenaCleanEngine.js';
import { buildCleanTables } from './buildCleanTables.js';
import { CleanStore } from './cleanStore.js';
import { InvalidCleanEventError } from './errors.js';

/** `{}` builds every table whose raw inputs changed; `{"tables": [...]}` only those (the pipeline's Map sends one). */
export const cleanEventSchema = (catalog: Catalog) =>
  z.looseObject({ tables: z.array(tableNameSchema(catalog)).min(1).optional() });

/** Lambda entry point: build the clean (silver) tables with Athena, after ingest and before sync. */
export const handler = defineHandler(
  { name: 'clean-layer', eventSchema: cleanEventSchema, invalidEvent: (d) => new InvalidCleanEventError(d) },
  ({ tracer, catalog }) => {
    const config = readCleanLayerConfig();
    const s3 = tracer.captureAWSv3Client(new S3Client(s3ClientOptions(config)));
    const athena = tracer.captureAWSv3Client(new AthenaClient({ region: config.AWS_REGION }));
    const glue = tracer.captureAWSv3Client(new GlueClient({ region: config.AWS_REGION }));
    const clean = new S3ObjectStore(s3, config.CLEAN_BUCKET);
    const engine = new AthenaCleanEngine({
      athena,
      glue,
      clean,
      rawBucket: config.RAW_BUCKET,
      workgroup: config.ATHENA_WORKGROUP,
      database: config.CLEAN_DATABASE,
      scratchDatabase: config.CLEAN_SCRATCH_DATABASE,
    });
    const lake = new Lake(new S3ObjectStore(s3, config.RAW_BUCKET), catalog);
    return { catalog, lake, clean: new CleanStore(clean, catalog), engine };
  },
  async ({ tables }, dependencies, { logger }) => {
    const result = await buildCleanTables(
      { ...dependencies, onTable: (table) => logger.info('clean table', { ...table }) },
      tables,
    );
    for (const refused of result.refused) logger.warn('input refused', { ...refused });
    return result;
  },
  (result) => [
    { values: { rows: result.rows, rejected: result.rejects, refused: result.refused.length } },
    ...result.tables.map((t) => ({ table: t.table, values: { rows: t.rows, bytes: t.bytes, rejected: t.rejects } })),
  ],
);
