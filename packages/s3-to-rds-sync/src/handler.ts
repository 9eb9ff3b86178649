import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '@insightflow/object-store';
import { parseWindowTimestamp, readSyncConfig, s3ClientOptions, TABLE_NAMES } from '@insightflow/shared-config';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { connectPostgres } from './adapters/postgresConnection.js';
import { InvalidSyncEventError } from './errors.js';
import { type SyncResult, syncLake } from './syncLake.js';

const windowTimestamp = z.string().refine((value) => {
  try {
    parseWindowTimestamp(value);
    return true;
  } catch {
    return false;
  }
}, 'a time as YYYY-MM-DD-HHMM (UTC)');

/** `{}` is an incremental sync; `start_ts`/`end_ts` (the original's names) select a window. */
export const SyncEventSchema = z.looseObject({
  mode: z.enum(['incremental', 'window', 'full']).optional(),
  tables: z.array(z.enum(TABLE_NAMES)).min(1).optional(),
  start_ts: windowTimestamp.optional(),
  end_ts: windowTimestamp.optional(),
});

const config = readSyncConfig();
const logger = new Logger({ serviceName: 's3-to-rds-sync' });
const store = new S3ObjectStore(new S3Client(s3ClientOptions(config)), config.RAW_BUCKET);

/** Lambda entry point: sync the lake into PostgreSQL; `more: true` asks to be called again. */
export async function handler(event: unknown, context?: Context): Promise<SyncResult> {
  const parsed = SyncEventSchema.safeParse(event ?? {});
  if (!parsed.success) throw new InvalidSyncEventError(z.prettifyError(parsed.error));
  const { start_ts: since, end_ts: until, tables } = parsed.data;
  const mode = parsed.data.mode ?? (since || until ? 'window' : 'incremental');
  const client = await connectPostgres(config);
  try {
    const result = await syncLake(
      {
        client,
        store,
        ...(context ? { remainingMs: () => context.getRemainingTimeInMillis() - config.SYNC_DEADLINE_MARGIN_MS } : {}),
        onObject: (table, key, loaded) => logger.info('object loaded', { table, key, ...loaded }),
      },
      {
        mode,
        ...(tables ? { tables } : {}),
        ...(since ? { since: parseWindowTimestamp(since) } : {}),
        ...(until ? { until: parseWindowTimestamp(until) } : {}),
      },
    );
    for (const refused of result.refused) logger.warn('object refused', refused);
    logger.info('sync finished', { ...result, tables: undefined, refused: result.refused.length });
    return result;
  } finally {
    await client.end();
  }
}
