import type { Lake, Refusal } from '@insightflow/lake';
import {
  type Catalog,
  type CleanPointer,
  cleanVersion,
  cleanVersionPrefix,
  InsightFlowError,
  type TableName,
} from '@insightflow/shared-config';
import { type CleanTableDefinition, cleanSchema, cleanTableDefinition } from './cleanDefinition.js';
import { hasNoInputs, inputFingerprint, inputList, type TableInputs, tableInputs } from './cleanInputs.js';
import type { CleanStore, PointerProblem } from './cleanStore.js';
import { CleanBuildError, CleanTablesFailedError } from './errors.js';

/** What an engine is asked to build: one table's version from its raw inputs. */
export interface CleanBuildRequest {
  definition: CleanTableDefinition;
  inputs: TableInputs;
  version: string;
  /** Where the version's files go in the clean bucket: `tables/<table>/v=<version>/`. */
  prefix: string;
}

/** What an engine built: rows written and raw rows rejected (their values did not cast). */
export interface CleanBuildOutcome {
  rows: number;
  rejects: number;
}

/**
 * The CleanEngine port: an existing SQL engine that runs a table's definition over its raw inputs
 * and writes the typed Parquet (and `_rejects.csv`, when there are rejects) under the version's
 * prefix. DuckDB locally, Athena on AWS.
 */
export interface CleanEngine {
  /** The engine's name, for messages. */
  readonly name: string;
  build(request: CleanBuildRequest): Promise<CleanBuildOutcome>;
  /**
   * Makes the version (its files under `prefix`) the one the engine's own catalog reads (Athena:
   * the Glue table's location), before the pointer is written. Engines without a catalog of
   * their own do nothing.
   */
  publish(definition: CleanTableDefinition, version: string, prefix: string): Promise<void>;
}

/** One table's outcome. */
export interface CleanTableResult {
  table: TableName;
  /** `built`: a new version was published; `unchanged`: the inputs are what the published version was built from; `empty`: the lake holds no input yet. */
  status: 'built' | 'unchanged' | 'empty';
  version: string | undefined;
  rows: number;
  rejects: number;
  files: number;
  bytes: number;
  /** Objects of replaced or abandoned versions deleted. */
  removed: number;
  inputs: number;
}

/** The outcome of a clean build over several tables. */
export interface CleanResult {
  tables: CleanTableResult[];
  rows: number;
  rejects: number;
  built: number;
  /** Runs and objects the lake passed over, and unreadable pointers, with the reasons. */
  refused: Refusal[];
}

/** What {@link buildCleanTables} works with. */
export interface CleanDependencies {
  /** The catalog whose tables are built: each table's definition, and the hash its pointer records. */
  catalog: Catalog;
  lake: Lake;
  clean: CleanStore;
  engine: CleanEngine;
  /** The clock a version is named by. */
  now?: () => Date;
  onTable?: (result: CleanTableResult) => void;
}

/** A version name strictly after the published one (two builds within a millisecond stay ordered). */
function nextVersion(now: Date, published: CleanPointer | undefined): string {
  let at = now;
  while (published && cleanVersion(at) <= published.version) at = new Date(at.getTime() + 1);
  return cleanVersion(at);
}

/**
 * Builds one clean table when its inputs changed: the engine writes a new version beside the
 * published one, the engine's catalog and then the pointer move to it (the publish), and only
 * then are other versions deleted. Killed at any point before the pointer's PUT, the published
 * version is untouched and the rerun builds again from the same inputs. The pointer records the
 * catalog's hash; a batch run written under another catalog is read by its own columns.
 */
export async function buildCleanTable(
  dependencies: CleanDependencies,
  table: TableName,
  refused: Refusal[] = [],
): Promise<CleanTableResult> {
  const { lake, clean, engine } = dependencies;
  const definition = cleanTableDefinition(dependencies.catalog.table(table));
  const inputs = await tableInputs(lake, table);
  refused.push(...inputs.refused);
  const problems: PointerProblem[] = [];
  const published = await clean.pointer(table, problems);
  refused.push(...problems);
  const fingerprint = inputFingerprint(definition, inputs);
  const base = { table, rejects: 0, removed: 0, inputs: inputList(inputs).length };

  if (published && published.inputFingerprint === fingerprint) {
    // Nothing new; what a build killed before its publish left behind goes.
    const removed = await clean.removeOtherVersions(table, published.version);
    return {
      ...base,
      status: 'unchanged',
      version: published.version,
      rows: published.rows,
      rejects: published.rejects,
      files: published.files.length,
      bytes: published.files.reduce((n, f) => n + f.bytes, 0),
      removed,
    };
  }
  if (hasNoInputs(inputs)) return { ...base, status: 'empty', version: undefined, rows: 0, files: 0, bytes: 0 };

  const version = nextVersion((dependencies.now ?? (() => new Date()))(), published);
  const prefix = cleanVersionPrefix(dependencies.catalog, table, version);
  let outcome: CleanBuildOutcome;
  try {
    outcome = await engine.build({ definition, inputs, version, prefix });
  } catch (error) {
    if (error instanceof CleanBuildError) throw error;
    throw new CleanBuildError(table, engine.name, (error as Error).message, {
      cause: error,
      ...(error instanceof InsightFlowError ? { kind: error.kind } : {}),
    });
  }
  const files = await clean.versionFiles(table, version);
  await engine.publish(definition, version, prefix);
  const pointer: CleanPointer = {
    table,
    version,
    prefix,
    files: files.map((f) => ({ key: f.key, bytes: f.size })),
    rows: outcome.rows,
    rejects: outcome.rejects,
    inputFingerprint: fingerprint,
    inputs: inputList(inputs),
    schema: cleanSchema(definition).map(({ name, type }) => ({ name, type })),
    partitionBy: [...definition.partitionBy],
    catalogHash: dependencies.catalog.hash,
    builtAt: new Date().toISOString(),
  };
  await clean.publish(pointer);
  const removed = await clean.removeOtherVersions(table, version);
  return {
    ...base,
    status: 'built',
    version,
    rows: outcome.rows,
    rejects: outcome.rejects,
    files: files.length,
    bytes: files.reduce((n, f) => n + f.size, 0),
    removed,
  };
}

/**
 * Builds the clean layer of `tables` (every catalog table when absent), one table after the
 * other. A table that fails does not stop the others; the failures are thrown together at the
 * end ({@link CleanTablesFailedError}), each table's previous version still published.
 */
export async function buildCleanTables(
  dependencies: CleanDependencies,
  tables: readonly TableName[] = dependencies.catalog.tableNames(),
): Promise<CleanResult> {
  const refused: Refusal[] = [];
  const results: CleanTableResult[] = [];
  const failures: { table: string; error: Error }[] = [];
  for (const table of tables) {
    try {
      const result = await buildCleanTable(dependencies, table, refused);
      results.push(result);
      dependencies.onTable?.(result);
    } catch (error) {
      failures.push({ table, error: error as Error });
    }
  }
  if (failures.length > 0) throw new CleanTablesFailedError(failures);
  return {
    tables: results,
    rows: results.reduce((n, r) => n + r.rows, 0),
    rejects: results.reduce((n, r) => n + r.rejects, 0),
    built: results.filter((r) => r.status === 'built').length,
    refused,
  };
}
