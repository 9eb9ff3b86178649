import { S3ObjectStore } from '@insightflow/object-store';
import { SYNC_SCHEMA } from '@insightflow/postgres-destination';
import { postgresSync, type SyncMode, syncRequest, syncUntilDone } from '@insightflow/s3-to-rds-sync';
import type { TableName } from '@insightflow/shared-config';
import pg from 'pg';
import type { CliContext } from '../cliContext.js';
import type { DataMovementDocument } from '../contracts.js';
import { withEndpoints } from '../endpoints.js';
import { ExitCode } from '../exitCodes.js';

/** Options of `insightflow sync`. */
export interface SyncOptions {
  mode?: SyncMode;
  since?: string;
  until?: string;
  tables?: TableName[];
}

/**
 * `insightflow sync`: load the lake into PostgreSQL — committed batch runs (each replacing the
 * table's snapshot atomically) and streaming objects (deduplicated by order id), each object
 * exactly once. Exit code 3 when rows were rejected.
 */
export async function syncCommand(context: CliContext, options: SyncOptions): Promise<ExitCode> {
  const request = syncRequest(options);
  const { mode } = request;
  const result = await withEndpoints(context, async (endpoints) => {
    if (!endpoints.databaseUrl) throw new Error('No database: set DATABASE_URL or use the local services.');
    const client = new pg.Client({ connectionString: endpoints.databaseUrl });
    await client.connect();
    try {
      const store = new S3ObjectStore(endpoints.s3, context.config.RAW_BUCKET);
      // No invocation deadline here: one process syncs until nothing is left.
      return await syncUntilDone(
        {
          ...postgresSync(client, store),
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
