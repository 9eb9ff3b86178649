import { DEFAULT_STAGE_PREFIX, type TableName } from '@insightflow/shared-config';
import { loadStagedFiles } from '@insightflow/snowflake-loader';
import { describeCatalogTableChange } from '@insightflow/warehouse';
import type { CliContext } from '../cliContext.js';
import type { DataMovementDocument } from '../contracts.js';
import { openWarehouseFor, withEndpoints } from '../endpoints.js';
import { ExitCode } from '../exitCodes.js';

/** Options of `insightflow load`. */
export interface LoadOptions {
  tables?: TableName[];
}

/**
 * `insightflow load`: create the catalog's tables in the warehouse when missing and evolve the
 * others by the catalog's `schemaChanges` policy (each change applied is printed), then load the
 * staged files once each (ON_ERROR=SKIP_FILE: a file with bad rows loads nothing and is reported
 * with its lines). Exit code 3 when a file was rejected; a refused schema change throws
 * `SchemaChangeRefusedError` before anything changes, which `main()` turns into exit code 1.
 */
export async function loadCommand(context: CliContext, options: LoadOptions): Promise<ExitCode> {
  const stage = { bucket: context.config.STAGE_BUCKET, prefix: DEFAULT_STAGE_PREFIX };
  const summary = await withEndpoints(context, async (endpoints) => {
    const warehouse = await openWarehouseFor(context, endpoints, '1GB');
    try {
      return await loadStagedFiles(warehouse, context.catalog, stage, options.tables, (report) =>
        context.progress(`load ${report.table}: ${report.status}, ${report.rowsLoaded.toLocaleString('en')} rows`),
      );
    } finally {
      await warehouse.close();
    }
  });
  const result: DataMovementDocument = { ...summary };
  const lines = Object.entries(summary.tables).flatMap(([table, t]) =>
    t.files.flatMap((f) => [
      `  ${table.padEnd(22)} ${f.status.padEnd(9)} ${f.rowsLoaded.toLocaleString('en').padStart(12)} rows  ${f.file}`,
      ...f.problems.map((p) => `      line ${p.line ?? '?'}${p.column ? ` (${p.column})` : ''}: ${p.message}`),
    ]),
  );
  context.result(
    result,
    [
      ...summary.schemaChanges.map((c) => `Warehouse: ${describeCatalogTableChange(c)}`),
      `Loaded ${summary.rows.toLocaleString('en')} rows: ${summary.filesLoaded} files loaded, ${summary.filesSkipped} already loaded, ${summary.filesRejected} rejected.`,
      ...lines,
      ...(summary.filesRejected > 0
        ? ['Rejected files load nothing (ON_ERROR=SKIP_FILE): fix the lines shown and run `insightflow load` again.']
        : []),
    ].join('\n'),
  );
  return summary.filesRejected > 0 ? ExitCode.rejected : ExitCode.ok;
}
