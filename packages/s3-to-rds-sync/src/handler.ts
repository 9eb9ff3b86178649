import { S3Client } from '@aws-sdk/client-s3';
import { defineHandler } from '@insightflow/lambda-handler';
import { S3ObjectStore } from '@insightflow/object-store';
import { connectPostgres } from '@insightflow/postgres-destination';
import { type Catalog, readSyncConfig, s3ClientOptions, tableNameSchema } from '@insightflow/shared-config';
import { z } from 'zod';
import { InvalidSyncEventError } from './errors.js';
import { postgresSync } from './postgresSync.js';
import { syncLake } from './syncLake.js';
import { syncRequest } from './syncRequest.js';

/** `{}` is an incremental sync; `start_ts`/`end_ts` (the original's names, YYYY-MM-DD-HHMM) select a window. */
export const syncEventSchema = (catalog: Catalog) =>
  z.looseObject({
    mode: z.enum(['incremental', 'window', 'full']).optional(),
    tables: z.array(tableNameSchema(catalog)).min(1).optional(),
    start_ts: z.string().optional(),
    end_ts: z.string().optional(),
  });

/** Lambda entry point: sync the lake into PostgreSQL; `more: true` asks to be called again. */
export const handler = defineHandler(
  { name: 's3-to-rds-sync', eventSchema: syncEventSchema, invalidEvent: (d) => new InvalidSyncEventError(d) },
  ({ tracer, catalog }) => {
    const config = readSyncConfig();
    const store = new S3ObjectStore(
      tracer.captureAWSv3Client(new S3Client(s3ClientOptions(config))),
      config.RAW_BUCKET,
    );
    return { config, store, catalog };
  },
  async ({ mode, start_ts: since, end_ts: until, tables }, { config, store, catalog }, { logger, remainingMs }) => {
    const request = syncRequest({ mode, since, until, tables });
    const client = await connectPostgres(config);
    try {
      const result = await syncLake(
        {
          ...postgresSync(client, store, catalog),
          ...(remainingMs ? { remainingMs } : {}),
          deadlineMarginMs: config.SYNC_DEADLINE_MARGIN_MS,
          onObject: (table, key, loaded) => logger.info('object loaded', { table, key, ...loaded }),
        },
        request,
      );
      for (const refused of result.refused) logger.warn('object refused', { ...refused });
      logger.info('sync finished', { ...result, tables: undefined, refused: result.refused.length });
      return result;
    } finally {
      await client.end();
    }
  },
  (result) => [
    {
      values: {
        rows: result.rows,
        rejected: result.rejected,
        refused: result.refused.length,
        // The alarm watches the worst table.
        lagSeconds: Math.max(0, ...Object.values(result.lagSeconds)),
      },
    },
    ...Object.entries(result.tables).map(([table, t]) => ({
      table,
      values: { rows: t.rows, rejected: t.rejected, lagSeconds: result.lagSeconds[table] ?? 0 },
    })),
  ],
);
