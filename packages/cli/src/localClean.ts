import {
  buildCleanTables,
  type CleanDependencies,
  type CleanResult,
  CleanStore,
  type CleanTableResult,
  cleanTableDefinition,
  countCleanRows,
  DuckDbCleanEngine,
  hasNoInputs,
  inputFingerprint,
  tableInputs,
} from '@insightflow/clean-layer';
import { Lake } from '@insightflow/lake';
import { S3ObjectStore } from '@insightflow/object-store';
import type { CleanPointer, TableName } from '@insightflow/shared-config';
import type { CliContext } from './cliContext.js';
import type { Endpoints } from './endpoints.js';

/** DuckDB's buffer pool for a clean build: past it, the deduplication spills to disk. */
export const CLEAN_MEMORY_LIMIT = '256MB';

/** The clean layer on this machine: the lake, the clean bucket and DuckDB as the engine. */
export interface LocalCleanLayer extends CleanDependencies {
  engine: DuckDbCleanEngine;
  clean: CleanStore;
}

export function localCleanLayer(context: CliContext, endpoints: Endpoints): LocalCleanLayer {
  const raw = new S3ObjectStore(endpoints.s3, context.config.RAW_BUCKET);
  const clean = new S3ObjectStore(endpoints.s3, context.config.CLEAN_BUCKET);
  const { catalog } = context;
  return {
    catalog,
    lake: new Lake(raw, catalog),
    clean: new CleanStore(clean, catalog),
    engine: new DuckDbCleanEngine({ raw, clean, memoryLimit: CLEAN_MEMORY_LIMIT }),
  };
}

/** Builds the clean tables locally, reporting each table as it is done. */
export function buildLocalClean(
  layer: LocalCleanLayer,
  tables: readonly TableName[],
  onTable?: (result: CleanTableResult) => void,
): Promise<CleanResult> {
  return buildCleanTables({ ...layer, ...(onTable ? { onTable } : {}) }, tables);
}

/** One clean table's rows (read back from its Parquet) against the distinct keys in its raw inputs. */
export interface CleanCheck {
  table: string;
  expected: number;
  found: number;
}

/**
 * Verifies the clean layer: for every table with a published version, the rows of its Parquet,
 * counted by reading the files back, must equal the distinct keys of the raw rows that type
 * cleanly, counted by DuckDB over the raw inputs with `count(DISTINCT …)`.
 */
export async function verifyCleanTables(layer: LocalCleanLayer, tables: readonly TableName[]): Promise<CleanCheck[]> {
  const pointers: CleanPointer[] = [];
  const checks: CleanCheck[] = [];
  for (const table of tables) {
    const pointer = await layer.clean.pointer(table);
    if (!pointer) continue;
    pointers.push(pointer);
    const expected = await layer.engine.distinctKeys(
      cleanTableDefinition(layer.catalog.table(table)),
      await tableInputs(layer.lake, table),
    );
    checks.push({ table, expected, found: 0 });
  }
  const counts = await countCleanRows(layer.clean.store, pointers);
  for (const check of checks) check.found = counts.get(check.table) ?? 0;
  return checks;
}

/** What `status` shows of one clean table. */
export interface CleanTableStatus {
  version: string | null;
  rows: number | null;
  files: number;
  bytes: number;
  builtAt: string | null;
  /** True when the raw inputs are no longer what the published version was built from. */
  stale: boolean;
}

/** The clean layer's state per table: the published version, and whether new raw inputs await a build. */
export async function cleanStatus(
  layer: LocalCleanLayer,
  tables: readonly TableName[],
): Promise<Record<string, CleanTableStatus>> {
  const out: Record<string, CleanTableStatus> = {};
  for (const table of tables) {
    const pointer = await layer.clean.pointer(table);
    const inputs = await tableInputs(layer.lake, table);
    const fingerprint = inputFingerprint(cleanTableDefinition(layer.catalog.table(table)), inputs);
    out[table] = {
      version: pointer?.version ?? null,
      rows: pointer?.rows ?? null,
      files: pointer?.files.length ?? 0,
      bytes: pointer?.files.reduce((n, f) => n + f.bytes, 0) ?? 0,
      builtAt: pointer?.builtAt ?? null,
      stale: !hasNoInputs(inputs) && pointer?.inputFingerprint !== fingerprint,
    };
  }
  return out;
}
