import { S3ObjectStore } from '@insightflow/object-store';
import { syncLake } from '@insightflow/s3-to-rds-sync';
import { parseWindowTimestamp, type TableName } from '@insightflow/shared-config';
import pg from 'pg';
import type { CliContext } from '../cliContext.js';
import type { DataMovementDocument } from '../contracts.js';
import { withEndpoints } from '../endpoints.js';
import { ExitCode } from '../exitCodes.js';

/** Options of `insightflow sync`. */
export interface SyncOptions {
  mode: 'incremental' | 'window' | 'full';
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
  const mode = options.since || options.until ? 'window' : options.mode;
  const result = await withEndpoints(context, async (endpoints) => {
    if (!endpoints.databaseUrl) throw new Error('No database: set DATABASE_URL or use the local services.');
    const client = new pg.Client({ connectionString: endpoints.databaseUrl });
    await client.connect();
    try {
      return await syncLake(
        {
          client,
          store: new S3ObjectStore(endpoints.s3, context.config.RAW_BUCKET),
          onObject: (table, key, loaded) =>
            context.progress(`sync ${table}: ${loaded.rows.toLocaleString('en')} rows from ${key}`),
        },
        {
          mode,
          ...(options.tables ? { tables: options.tables } : {}),
          ...(options.since ? { since: parseWindowTimestamp(options.since) } : {}),
          ...(options.until ? { until: parseWindowTimestamp(options.until) } : {}),
        },
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
      ...(result.rejected > 0
        ? ['Rejected rows are in insightflow_raw._rejects (object_key, line, raw, reason).']
        : []),
    ].join('\n'),
  );
  return result.rejected > 0 ? ExitCode.rejected : ExitCode.ok;
}
