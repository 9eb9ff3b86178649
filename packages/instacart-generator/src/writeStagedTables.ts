import { createHash } from 'node:crypto';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { ObjectStore } from '@insightflow/object-store';
import { columnNames, instacartCatalog, stageKey, type TableName } from '@insightflow/shared-config';
import { stringify } from 'csv-stringify/sync';
import { type GenerationPlan, GenerationPlanError, type Row, tableRows } from './instacartModel.js';
import { INSTACART_TABLE_NAMES, type InstacartTableName, isInstacartTable } from './instacartTables.js';

/** What was written for one table. */
export interface StagedTableReport {
  table: InstacartTableName;
  key: string;
  rows: number;
  /** Bytes stored (compressed for .gz files). */
  bytes: number;
  /** SHA-256 of the stored bytes, hex. */
  sha256: string;
}

/** Where and what to write. */
export interface WriteStagedTablesOptions {
  /** The stage bucket. */
  store: ObjectStore;
  /** Key prefix ending in `/`, e.g. `instacart/`. */
  prefix: string;
  plan: GenerationPlan;
  tables?: readonly TableName[];
  /** Called with each table's running row count, for progress displays. */
  onProgress?: (table: InstacartTableName, rows: number) => void;
}

/** The key of the generation record written beside the staged files. */
export const GENERATION_RECORD = '_generation.json';

/** Rows formatted per batch: one chunk per few thousand rows keeps gzip and the upload fed in bulk. */
const CSV_BATCH_ROWS = 4096;

/**
 * Formats rows as RFC 4180 CSV (csv-stringify) with a header, in chunks of
 * {@link CSV_BATCH_ROWS} rows, counting as it goes.
 */
function* csvChunks(
  rows: Iterable<Row>,
  columns: string[],
  counter: { rows: number },
  report: (rows: number) => void,
): Generator<string> {
  yield stringify([columns]);
  let batch: Row[] = [];
  for (const row of rows) {
    batch.push(row);
    if (batch.length === CSV_BATCH_ROWS) {
      counter.rows += batch.length;
      if (counter.rows % (CSV_BATCH_ROWS * 25) === 0) report(counter.rows);
      yield stringify(batch);
      batch = [];
    }
  }
  counter.rows += batch.length;
  if (batch.length > 0) yield stringify(batch);
}

/** Hashes and measures the bytes on their way to S3. */
class ByteMeter extends Transform {
  public bytes = 0;
  private readonly hash = createHash('sha256');

  public override _transform(chunk: Buffer, _: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    done(null, chunk);
  }

  public digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Generates each table and streams it to `<stage bucket>/<prefix><stage file>` as CSV with a header
 * (gzipped where the catalog's stage file ends in .gz), uploading parts as they fill: memory
 * stays flat whatever the scale. Ends by writing a generation record with the counts.
 */
export async function writeStagedTables(options: WriteStagedTablesOptions): Promise<StagedTableReport[]> {
  const { store, prefix, plan } = options;
  const reports: StagedTableReport[] = [];
  for (const table of options.tables ?? INSTACART_TABLE_NAMES) {
    if (!isInstacartTable(table)) {
      throw new GenerationPlanError(
        `Table ${table} is not an Instacart demo table: the generator makes ${INSTACART_TABLE_NAMES.join(', ')}; stage other tables' files yourself.`,
      );
    }
    // The generator makes the demo's data, so it reads the demo's catalog whatever catalog is active.
    const spec = instacartCatalog().table(table);
    const key = stageKey(spec, prefix);
    const counter = { rows: 0 };
    const meter = new ByteMeter();
    const body = new PassThrough();
    const upload = store.upload(key, body, {
      contentType: key.endsWith('.gz') ? 'application/gzip' : 'text/csv; charset=utf-8',
    });
    // A failed upload stops reading the body: end the pipeline with its error instead of waiting.
    upload.catch((error: unknown) => body.destroy(error as Error));
    const stages = [
      Readable.from(
        csvChunks(tableRows(table, plan), columnNames(spec), counter, (rows) => options.onProgress?.(table, rows)),
      ),
      ...(key.endsWith('.gz') ? [createGzip({ level: 6 })] : []),
      meter,
      body,
    ] as const;
    await Promise.all([pipeline(stages), upload]);
    options.onProgress?.(table, counter.rows);
    reports.push({ table, key, rows: counter.rows, bytes: meter.bytes, sha256: meter.digest() });
  }
  await store.put(
    `${prefix}${GENERATION_RECORD}`,
    JSON.stringify({ scale: plan.scale, seed: plan.seed, rows: plan.rows, files: reports }, null, 2),
    'application/json',
  );
  return reports;
}
