import { planGeneration, writeStagedTables } from '@insightflow/instacart-generator';
import { S3ObjectStore } from '@insightflow/object-store';
import { DEFAULT_STAGE_PREFIX, type TableName } from '@insightflow/shared-config';
import type { CliContext } from '../cliContext.js';
import type { DataMovementDocument } from '../contracts.js';
import { withEndpoints } from '../endpoints.js';
import { ExitCode } from '../exitCodes.js';

/** Options of `insightflow generate`. */
export interface GenerateOptions {
  scale: number;
  seed: number;
  tables?: TableName[];
}

/**
 * `insightflow generate`: deterministic Instacart-shaped CSV files for the catalog tables,
 * streamed to the stage bucket (order_products gzipped, as the original had them).
 */
export async function generateCommand(context: CliContext, options: GenerateOptions): Promise<ExitCode> {
  const plan = planGeneration({ scale: options.scale, seed: options.seed });
  const bucket = context.config.STAGE_BUCKET;
  const started = performance.now();
  const reports = await withEndpoints(context, (endpoints) =>
    writeStagedTables({
      store: new S3ObjectStore(endpoints.s3, bucket),
      prefix: DEFAULT_STAGE_PREFIX,
      plan,
      ...(options.tables ? { tables: options.tables } : {}),
      onProgress: (table, rows) =>
        context.progress(
          `generate ${table}: ${rows.toLocaleString('en')} / ${plan.rows[table].toLocaleString('en')} rows`,
        ),
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const rows = reports.reduce((n, r) => n + r.rows, 0);
  const result: DataMovementDocument = {
    tables: Object.fromEntries(
      reports.map((r) => [r.table, { rows: r.rows, rejected: 0, key: r.key, bytes: r.bytes, sha256: r.sha256 }]),
    ),
    rows,
    rejected: 0,
    scale: plan.scale,
    seed: plan.seed,
    bucket,
    seconds,
  };
  context.result(
    result,
    [
      `Generated ${rows.toLocaleString('en')} rows at scale ${plan.scale} (seed ${plan.seed}) into s3://${bucket}/${DEFAULT_STAGE_PREFIX} in ${seconds.toFixed(1)} s:`,
      ...reports.map(
        (r) =>
          `  ${r.table.padEnd(22)} ${r.rows.toLocaleString('en').padStart(12)} rows  ${(r.bytes / 1e6).toFixed(1)} MB`,
      ),
    ].join('\n'),
  );
  return ExitCode.ok;
}
