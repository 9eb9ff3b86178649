import { Lake } from '@insightflow/lake';
import type { ObjectStore } from '@insightflow/object-store';
import {
  type Catalog,
  columnNames,
  type ManifestPart,
  type RunManifest,
  type TableName,
  type TableSpec,
  truncateToMinute,
} from '@insightflow/shared-config';
import { exportLinesSql, exportQuerySql, type Warehouse } from '@insightflow/warehouse';
import { BatchIngestError, TimeBudgetError } from './errors.js';
import { writeCsvParts } from './partWriter.js';

/**
 * How rows leave the warehouse. `stream`: through the SDK's result stream, rendered as CSV lines
 * by the warehouse. `unload`: the warehouse writes the files itself (Snowflake on its own
 * compute). `auto`: unload a table of {@link AUTO_UNLOAD_ROWS} rows or more where the warehouse
 * can unload, stream the rest.
 */
export type IngestMode = 'auto' | 'stream' | 'unload';

/** From this many rows, `auto` mode has the warehouse unload the table. */
export const AUTO_UNLOAD_ROWS = 100_000;

/** How to ingest one table. */
export interface IngestTableRequest {
  table: TableName;
  /** The run's trigger time; truncated to the minute (UTC), the same for every table of a run. */
  runAt: Date;
  mode: IngestMode;
  /** Rows per part. */
  batchSize: number;
  /** Upper bound of an unloaded file's size (Snowflake sizes unload files by bytes). */
  maxFileBytes?: number;
}

/** What ingestTable needs from outside. */
export interface IngestDependencies {
  /** The catalog whose tables are exported: their columns, and the names their runs' keys carry. */
  catalog: Catalog;
  warehouse: Warehouse;
  /** The raw bucket. */
  store: ObjectStore;
  /** Milliseconds left in the invocation (a Lambda's `getRemainingTimeInMillis`); unbounded when absent. */
  remainingMs?: () => number;
  /** Streaming throughput assumed when checking the time budget, rows per second. */
  streamRowsPerSecond?: number;
  now?: () => Date;
  onPart?: (part: ManifestPart) => void;
}

/** What one table's ingestion did. */
export interface TableIngestResult {
  table: TableName;
  /** `committed`: this call wrote the run. `already-committed`: the run's manifest existed; nothing was written. */
  status: 'committed' | 'already-committed';
  runFolder: string;
  manifestKey: string;
  mode: 'stream' | 'unload';
  rows: number;
  bytes: number;
  parts: number;
  seconds: number;
}

/** Conservative streaming rate for the time-budget check (measured locally at several times this). */
const DEFAULT_STREAM_ROWS_PER_SECOND = 100_000;
/** Time kept back for the manifest, cleanup and the response. */
const BUDGET_MARGIN_MS = 15_000;
/** Unloaded files of about this size: few enough to list, small enough to load and retry one by one. */
const DEFAULT_MAX_FILE_BYTES = 128 * 1024 * 1024;

/** The query a run exports: the catalog's columns, in order, each rendered as lake text by the warehouse. */
export function exportQuery(warehouse: Warehouse, table: TableSpec): string {
  return exportQuerySql(table, warehouse.kind);
}

/**
 * Exports one table to a run folder of the raw bucket and commits it with a manifest, written
 * last, that records the catalog's columns and hash. A run whose manifest exists is not written
 * again; a failed run leaves no manifest and its stray parts are removed.
 */
export async function ingestTable(deps: IngestDependencies, request: IngestTableRequest): Promise<TableIngestResult> {
  const { warehouse } = deps;
  const lake = new Lake(deps.store, deps.catalog);
  const now = deps.now ?? (() => new Date());
  const runAt = truncateToMinute(request.runAt);
  const { table } = request;
  const spec = deps.catalog.table(table);
  const runFolder = lake.runFolder(table, runAt);
  const manifestKey = lake.manifestKey(table, runAt);
  const started = now();

  const existing = await lake.committedRun(table, runAt);
  if (existing) {
    return {
      table,
      status: 'already-committed',
      runFolder,
      manifestKey,
      mode: existing.mode,
      rows: existing.rows,
      bytes: existing.bytes,
      parts: existing.parts.length,
      seconds: 0,
    };
  }
  // Parts of an earlier attempt that never committed: readers ignore them, and so do we.
  await lake.beginRun(table, runAt);

  const needsCount = request.mode === 'auto' || (request.mode === 'stream' && deps.remainingMs !== undefined);
  const counted = needsCount ? await warehouse.countRows(table) : undefined;
  const mode: 'stream' | 'unload' =
    request.mode === 'auto'
      ? warehouse.canUnload && (counted ?? 0) >= AUTO_UNLOAD_ROWS
        ? 'unload'
        : 'stream'
      : request.mode;
  if (mode === 'stream' && deps.remainingMs) {
    const rows = counted ?? 0;
    const neededMs = (rows / (deps.streamRowsPerSecond ?? DEFAULT_STREAM_ROWS_PER_SECOND)) * 1000;
    const remaining = deps.remainingMs() - BUDGET_MARGIN_MS;
    if (neededMs > remaining) throw new TimeBudgetError(table, rows, neededMs / 1000, Math.max(0, remaining) / 1000);
  }

  // Stream mode reads rows the warehouse has already rendered as CSV lines; unload mode has the
  // warehouse write the files from the same values.
  const query = mode === 'stream' ? exportLinesSql(spec, warehouse.kind) : exportQuery(warehouse, spec);
  const columns = columnNames(spec);
  const controller = new AbortController();
  let parts: ManifestPart[];
  try {
    parts =
      mode === 'stream'
        ? await writeCsvParts({
            lake,
            table,
            runAt,
            columns,
            batches: warehouse.streamRows(query),
            batchSize: request.batchSize,
            signal: controller.signal,
            ...(deps.onPart ? { onPart: deps.onPart } : {}),
          })
        : await unloadParts(deps, lake, request, runAt, query);
    const manifest: RunManifest = {
      version: 1,
      table,
      runAt: runAt.toISOString(),
      mode,
      kind: 'snapshot',
      source: warehouse.kind,
      query,
      columns,
      schema: spec.columns.map(({ name, type, nullable }) => ({ name, type, nullable })),
      catalogHash: deps.catalog.hash,
      parts,
      rows: parts.reduce((n, p) => n + p.rows, 0),
      bytes: parts.reduce((n, p) => n + p.bytes, 0),
      startedAt: started.toISOString(),
      finishedAt: now().toISOString(),
    };
    await lake.commitRun(manifest);
    return {
      table,
      status: 'committed',
      runFolder,
      manifestKey,
      mode,
      rows: manifest.rows,
      bytes: manifest.bytes,
      parts: parts.length,
      seconds: (now().getTime() - started.getTime()) / 1000,
    };
  } catch (error) {
    controller.abort();
    await lake.abandonRun(table, runAt).catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    throw new BatchIngestError(`Ingesting ${table} into ${runFolder} failed; no manifest was written: ${message}`, {
      cause: error,
      kind: error instanceof BatchIngestError ? error.kind : ((error as { kind?: 'retryable' }).kind ?? 'terminal'),
    });
  }
}

/**
 * Unload mode: the warehouse writes the files (Snowflake in parallel on its own compute) under
 * `_unload/`; each is then copied, server-side, to its contract name and the originals removed.
 */
async function unloadParts(
  deps: IngestDependencies,
  lake: Lake,
  request: IngestTableRequest,
  runAt: Date,
  query: string,
): Promise<ManifestPart[]> {
  const { warehouse } = deps;
  const files = await warehouse.unload({
    sql: query,
    bucket: lake.bucket,
    prefix: lake.scratchPrefix(request.table, runAt),
    maxFileBytes: request.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
  });
  const parts: ManifestPart[] = [];
  for (const [index, file] of files.entries()) {
    const key = lake.partKey(request.table, runAt, index);
    const copied = await lake.store.copy(file.key, key);
    const part: ManifestPart = { key, rows: file.rows, bytes: file.bytes, etag: copied.etag };
    parts.push(part);
    deps.onPart?.(part);
  }
  await lake.clearScratch(request.table, runAt);
  return parts;
}
