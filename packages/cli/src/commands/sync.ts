import { S3ObjectStore } from '@insightflow/object-store';
import { SYNC_SCHEMA } from '@insightflow/postgres-destination';
import {
  InvalidSyncRequestError,
  postgresSync,
  type SyncMode,
  type SyncRequest,
  syncRequest,
  syncUntilDone,
} from '@insightflow/s3-to-rds-sync';
import type { TableName } from '@insightflow/shared-config';
import type { CliContext } from '../cliContext.js';
import type { DataMovementDocument } from '../contracts.js';
import { connectDatabase, withEndpoints } from '../endpoints.js';
import { ExitCode } from '../exitCodes.js';
import { UsageError } from '../usageError.js';

/** Options of `insightflow sync`. */
export interface SyncOptions {
  mode?: SyncMode;
  since?: string;
  until?: string;
  tables?: TableName[];
}

/** The request the options state; one the sync refuses (a reversed window) is a usage error. */
function statedRequest(options: SyncOptions): SyncRequest {
  try {
    return syncRequest(options);
  } catch (error) {
    if (error instanceof InvalidSyncRequestError) throw new UsageError(error.message, 'sync', error);
    throw error;
  }
}

/**
 * `insightflow sync`: load the lake into PostgreSQL — committed batch runs (each replacing the
 * table's snapshot atomically) and every catalog stream's objects into its stream's table
 * (deduplicated by the table's primary key; a keyless table appends), each object exactly once.
 * Exit code 3 when rows were rejected; 2 for a window that ends before it starts or has no bounds.
 */
export async function syncCommand(context: CliContext, options: SyncOptions): Promise<ExitCode> {
  const request = statedRequest(options);
  const { mode } = request;
  const result = await withEndpoints(context, async (endpoints) => {
    const client = await connectDatabase(context, endpoints);
    try {
      const store = new S3ObjectStore(endpoints.s3, context.config.RAW_BUCKET);
      // No invocation deadline here: one process syncs until nothing is left.
      return await syncUntilDone(
        {
          ...postgresSync(client, store, context.catalog),
          onObject: (table, key, loaded) =>
            context.progress(`sync ${table}: ${loaded.rows.toLocaleString('en')} rows from ${key}`),
        },
        request,
      );
    } finally {
      await client.end();
    }
  });
  const document: DataMovementDocument = { ...result, mode };
  context.result(
    document,
    [
      `Synced ${result.rows.toLocaleString('en')} rows (${mode}): ${result.filesLoaded} objects loaded, ${result.filesSkipped} already loaded, ${result.rejected} rows rejected${result.more ? '; more work remains, run again' : ''}.`,
      ...Object.entries(result.tables)
        .filter(([, t]) => t.filesLoaded + t.filesSkipped > 0)
        .map(
          ([table, t]) =>
            `  ${table.padEnd(22)} ${t.rows.toLocaleString('en').padStart(12)} rows  ${t.rejected} rejected  ${t.duplicates} duplicates${t.snapshot ? `  snapshot ${t.snapshot}` : ''}`,
        ),
      ...result.refused.map((r) => `  refused ${r.key}: ${r.reason}`),
      ...(result.rejected > 0 ? [`Rejected rows are in ${SYNC_SCHEMA}._rejects (object_key, line, raw, reason).`] : []),
    ].join('\n'),
  );
  return result.rejected > 0 ? ExitCode.rejected : ExitCode.ok;
}
