import { type IngestMode, ingestTables } from '@insightflow/batch-ingest';
import { S3ObjectStore } from '@insightflow/object-store';
import type { TableName } from '@insightflow/shared-config';
import type { CliContext } from '../cliContext.js';
import type { DataMovementDocument } from '../contracts.js';
import { explainEdgeFailure } from '../edgeErrors.js';
import { edgesOf, openWarehouseFor, withEndpoints } from '../endpoints.js';
import { ExitCode } from '../exitCodes.js';

/** Options of `insightflow ingest`. */
export interface IngestOptions {
  tables?: TableName[];
  batchSize: number;
  mode: IngestMode;
}

/**
 * `insightflow ingest`: export each table from the warehouse to a run folder of the raw bucket,
 * all with one run time, each committed by its manifest. A failed table does not stop the
 * others; the command then exits 1 naming it.
 */
export async function ingestCommand(context: CliContext, options: IngestOptions): Promise<ExitCode> {
  const runAt = new Date();
  const result = await withEndpoints(context, async (endpoints) => {
    // Streamed reads and unloads (COPY … TO, insertion order not kept) need little cache; a bigger
    // one would only grow with the data.
    const warehouse = await openWarehouseFor(context, endpoints, '128MB');
    try {
      let rows = 0;
      const ingested = await ingestTables(
        {
          catalog: context.catalog,
          warehouse,
          store: new S3ObjectStore(endpoints.s3, context.config.RAW_BUCKET),
          onPart: (part) => {
            rows += part.rows;
            context.progress(`ingest: ${part.key} (${rows.toLocaleString('en')} rows so far)`);
          },
        },
        options.tables ?? context.catalog.tableNames(),
        { runAt, mode: options.mode, batchSize: options.batchSize },
      );
      // A table that failed at an edge (its table missing in the warehouse, the bucket gone) says so.
      const edges = edgesOf(context, endpoints);
      const failures = ingested.failures.map((f) => ({ ...f, error: explainEdgeFailure(f.error, edges) ?? f.error }));
      return { ...ingested, failures };
    } finally {
      await warehouse.close();
    }
  });
  const document: DataMovementDocument = {
    runAt: result.runAt,
    // `rows` is what this invocation moved: 0 for a run that was already committed.
    tables: Object.fromEntries(
      Object.values(result.tables).map((t) => [
        t.table,
        { ...t, rows: t.status === 'committed' ? t.rows : 0, runRows: t.rows, rejected: 0 },
      ]),
    ),
    rows: result.rows,
    rejected: 0,
    failures: result.failures.map((f) => ({ table: f.table, message: f.error.message })),
  };
  context.result(
    document,
    [
      `Ingested ${result.rows.toLocaleString('en')} rows into s3://${context.config.RAW_BUCKET} (run ${result.runAt}):`,
      ...Object.values(result.tables).map(
        (t) =>
          `  ${t.table.padEnd(22)} ${t.status.padEnd(17)} ${t.rows.toLocaleString('en').padStart(12)} rows  ${t.parts} parts  ${t.runFolder}`,
      ),
      ...result.failures.map((f) => `  ${f.table.padEnd(22)} FAILED: ${f.error.message}`),
    ].join('\n'),
  );
  return result.failures.length > 0 ? ExitCode.failed : ExitCode.ok;
}
