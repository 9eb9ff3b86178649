import { CLEAN_REJECTS_FILE, type TableName } from '@insightflow/shared-config';
import type { CliContext } from '../cliContext.js';
import type { DataMovementDocument } from '../contracts.js';
import { withEndpoints } from '../endpoints.js';
import { ExitCode } from '../exitCodes.js';
import { buildLocalClean, localCleanLayer } from '../localClean.js';

/** Options of `insightflow clean`. */
export interface CleanOptions {
  tables?: TableName[];
}

/**
 * `insightflow clean`: build the clean (silver) layer — typed, deduplicated Parquet per table in
 * the clean bucket — from the lake's committed raw inputs, with DuckDB. Only tables whose raw
 * inputs changed are rebuilt; each is published by its pointer, written last. Exit code 3 when
 * values were rejected (they are in each version's `_rejects.csv`).
 */
export async function cleanCommand(context: CliContext, options: CleanOptions): Promise<ExitCode> {
  const tables = options.tables ?? context.catalog.tableNames();
  const result = await withEndpoints(context, (endpoints) =>
    buildLocalClean(localCleanLayer(context, endpoints), tables, (table) =>
      context.progress(`clean ${table.table}: ${table.status}, ${table.rows.toLocaleString('en')} rows`),
    ),
  );
  const bucket = context.config.CLEAN_BUCKET;
  const document: DataMovementDocument = {
    tables: Object.fromEntries(
      result.tables.map((t) => [
        t.table,
        {
          rows: t.rows,
          rejected: t.rejects,
          status: t.status,
          version: t.version ?? null,
          files: t.files,
          bytes: t.bytes,
        },
      ]),
    ),
    rows: result.rows,
    rejected: result.rejects,
    built: result.built,
    refused: result.refused,
  };
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  context.result(
    document,
    [
      `Clean layer in s3://${bucket}: ${result.built} tables built, ${result.tables.length - result.built} unchanged or empty, ${result.rows.toLocaleString('en')} rows, ${result.rejects} rejected.`,
      ...result.tables.map(
        (t) =>
          `  ${t.table.padEnd(22)} ${t.status.padEnd(9)} ${t.rows.toLocaleString('en').padStart(12)} rows  ${String(t.files).padStart(3)} files ${mib(t.bytes).padStart(10)}${t.version ? `  v=${t.version}` : ''}${t.rejects > 0 ? `  ${t.rejects} rejected` : ''}`,
      ),
      ...result.refused.map((r) => `  refused ${r.key}: ${r.reason}`),
      ...(result.rejects > 0
        ? [
            `Rejected values are in s3://${bucket}/tables/<table>/v=<version>/${CLEAN_REJECTS_FILE} (object_key, line, column_name, raw_value, reason).`,
          ]
        : []),
    ].join('\n'),
  );
  return result.rejects > 0 ? ExitCode.rejected : ExitCode.ok;
}
