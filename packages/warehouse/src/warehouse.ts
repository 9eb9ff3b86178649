import type { AppliedChange, Catalog, SqlDialect, TableName, TableSpec } from '@insightflow/shared-config';

/**
 * The Warehouse port: what InsightFlow needs from a SQL warehouse (Snowflake on AWS, DuckDB
 * locally). Adapters live in `adapters/`; the snowflake-loader and batch-ingest cores use only
 * this interface.
 */

/** One result row: values in the query's column order; null is SQL NULL. */
export type WarehouseRow = readonly (string | number | boolean | bigint | null)[];

/** A staged source file to load into a catalog table. */
export interface StagedFile {
  /** The catalog table it loads into: its columns and types are what the file is checked against. */
  table: TableSpec;
  bucket: string;
  /** Object key of the file (CSV with a header row; `.gz` means gzip). */
  key: string;
}

/** Names of the files a prefix stage loads: `.csv` or `.csv.gz`. */
export const STAGED_FILE_PATTERN = /\.csv(\.gz)?$/;

/** A table's stage: one staged file, or every `.csv`/`.csv.gz` file under a prefix. */
export interface StagedSource {
  /** The catalog table it loads into. */
  table: TableSpec;
  bucket: string;
  /** An object key (one file), or a key prefix ending in `/` (every staged file under it, in key order). */
  location: string;
}

/** One problem in a staged file. */
export interface StagedFileProblem {
  /** 1-based line in the file (the header is line 1), when known. */
  line: number | null;
  column: string | null;
  message: string;
}

/** What loading one staged file did. */
export interface FileLoadReport {
  table: TableName;
  file: string;
  /**
   * `loaded`: every row went in. `skipped`: loaded before, nothing done. `rejected`: the file had
   * bad rows and, by the ON_ERROR=SKIP_FILE policy, none of its rows were loaded.
   */
  status: 'loaded' | 'skipped' | 'rejected';
  rowsLoaded: number;
  /** Rows found bad (rejected files only). */
  rowsRejected: number;
  /** The first problems found, with file lines (at most {@link MAX_REPORTED_PROBLEMS}). */
  problems: StagedFileProblem[];
}

/** How many problems a report lists per file; the count in `rowsRejected` is complete. */
export const MAX_REPORTED_PROBLEMS = 20;

/** A request to unload a query's result to CSV files in the object store. */
export interface UnloadRequest {
  /** The query; its columns become the CSV header. */
  sql: string;
  bucket: string;
  /** Key prefix (a folder, ending in `/`) the files are written under. */
  prefix: string;
  /** Upper bound on a file's size in bytes (Snowflake's MAX_FILE_SIZE; DuckDB's FILE_SIZE_BYTES). */
  maxFileBytes: number;
}

/** One file an unload wrote. */
export interface UnloadedFile {
  key: string;
  rows: number;
  bytes: number;
}

/** One column as the warehouse's information schema describes it. */
export interface SourceColumn {
  /** As the warehouse spells it (Snowflake folds unquoted names to upper case). */
  name: string;
  /** The warehouse's type name (`NUMBER`, `DECIMAL(18,4)`, `TIMESTAMP WITH TIME ZONE`, …). */
  dataType: string;
  nullable: boolean;
  characterMaximumLength: number | null;
  numericPrecision: number | null;
  numericScale: number | null;
}

/** One table (or view) of the warehouse's schema, columns in ordinal order. */
export interface SourceTable {
  /** As the warehouse spells it. */
  name: string;
  columns: SourceColumn[];
  /** The primary key's columns in key order; empty when it has none. */
  primaryKey: string[];
}

/** One thing `ensureCatalogTables()` did to a catalog table. */
export type CatalogTableChange = { table: TableName } & (AppliedChange | { kind: 'create' });

/** A SQL warehouse. */
export interface Warehouse {
  /** Which adapter this is, and so the SQL dialect its queries are written in. */
  readonly kind: Extract<SqlDialect, 'duckdb' | 'snowflake'>;
  /** Whether {@link unload} can run: DuckDB with an object store, Snowflake with a raw stage. */
  readonly canUnload: boolean;
  /** Runs statements whose results are not needed. */
  execute(sql: string): Promise<void>;
  /**
   * Streams a query's rows in batches. The next batch is fetched only when the consumer asks for
   * it, so a slow consumer holds the producer back (memory stays flat).
   */
  streamRows(sql: string): AsyncIterable<WarehouseRow[]>;
  /** Has the warehouse itself write a query's result as CSV files (with a header) in the object store. */
  unload(request: UnloadRequest): Promise<UnloadedFile[]>;
  /**
   * Creates `catalog`'s tables that are missing and evolves the ones it has, by the
   * catalog's `schemaChanges` policy (`planSchemaChange()` in shared-config). It reads each
   * table's columns and primary key from the information schema (the tables DuckDB creates have
   * no key, so there the declared key is taken as held: nothing in DuckDB reads it), and compares
   * types in the warehouse's own terms: a difference the warehouse cannot hold (`text` and
   * `varchar(n)` are both DuckDB's VARCHAR, `real` and `double` both Snowflake's FLOAT) is no
   * change. Under `evolve` it adds new columns (rows loaded before hold NULL), applies widenings
   * (DuckDB `ALTER COLUMN … TYPE`; Snowflake `SET DATA TYPE`, which widens only a NUMBER's
   * precision and a VARCHAR's length in place) and drops NOT NULL; a column gone from the catalog
   * stays. When any change to any table is refused (a narrowing, a cast that could lose values, a
   * removed NOT NULL column, a changed key, anything under `freeze`, a widening Snowflake cannot
   * apply in place) it throws `SchemaChangeRefusedError` before changing anything. DuckDB applies
   * every change in one transaction; Snowflake's DDL commits statement by statement. Never drops
   * or replaces a table or a column. Returns what it did, one entry per table created or change
   * applied (`describeCatalogTableChange()` writes each as a line).
   */
  ensureCatalogTables(catalog: Catalog): Promise<CatalogTableChange[]>;
  /**
   * Loads one staged file into its table, once: a file loaded before is skipped. DuckDB matches
   * columns by the header's names; Snowflake's single-file COPY takes them in catalog order.
   */
  loadStagedFile(file: StagedFile): Promise<FileLoadReport>;
  /**
   * Loads a table's stage: the one file a key names, or each staged file under a prefix, each
   * once (a file loaded before is skipped, a changed file loads again), columns matched by the
   * header's names. One report per file.
   */
  loadStage(source: StagedSource): Promise<FileLoadReport[]>;
  /** Row count of a catalog table, or undefined when the table does not exist yet. */
  countRows(table: TableName): Promise<number | undefined>;
  /** Reads the tables, columns and primary keys of the configured schema from the information schema. */
  describeTables(): Promise<SourceTable[]>;
  /** Releases the connection. */
  close(): Promise<void>;
}
