import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
// Type-only: the native module loads when a DuckDB warehouse is opened, so Lambda bundles (which
// use Snowflake) leave it out.
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { type ObjectInfo, type ObjectStore, S3ObjectStore } from '@insightflow/object-store';
import {
  type Catalog,
  type ColumnSpec,
  createTableSql,
  parseColumnType,
  quoteIdentifier,
  SchemaChangeRefusedError,
  sqlType,
  type TableName,
  type TableSpec,
} from '@insightflow/shared-config';
import { parse } from 'csv-parse';
import pLimit from 'p-limit';
import { planCatalogTables, planChanges } from '../catalogTableChanges.js';
import { WarehouseError } from '../errors.js';
import { DUCKDB_COLUMNS_SQL, DUCKDB_PRIMARY_KEYS_SQL, sourceTablesFrom } from '../informationSchema.js';
import {
  type CatalogTableChange,
  type FileLoadReport,
  MAX_REPORTED_PROBLEMS,
  type SourceTable,
  STAGED_FILE_PATTERN,
  type StagedFile,
  type StagedFileProblem,
  type StagedSource,
  type UnloadedFile,
  type UnloadRequest,
  type Warehouse,
  type WarehouseRow,
} from '../warehouse.js';

/** Options for opening the local DuckDB warehouse. */
export interface DuckDbWarehouseOptions {
  /** Path to the database file. */
  path: string;
  /** Open without taking the write lock (for status reports). */
  readOnly?: boolean;
  /** The S3 client staged files are read from and unloads are written to (through the ObjectStore port). */
  s3?: S3Client;
  /**
   * DuckDB's buffer-pool cap. DuckDB otherwise caches pages up to most of the machine's memory,
   * so a process's footprint would grow with the data; past the cap it spills to disk.
   */
  memoryLimit?: string;
  /** DuckDB's worker threads; all cores when absent. Each thread's scan buffers sit outside the cap. */
  threads?: number;
}

/** The ledger of staged files loaded into the warehouse: what makes `load` idempotent. */
const LOADED_FILES_TABLE = '_insightflow_loaded_files';

/** A SQL string literal. Only paths this adapter made itself are passed here. */
function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * `read_csv(...)` over a staged file with the catalog's types for the file's columns, in the
 * header's order: no guessing.
 */
/**
 * How a staged file's column is read: as its catalog type, except binary, which files hold as
 * hex (Snowflake's BINARY_FORMAT): read as text, decoded by {@link stagedValueSql}.
 */
function stagedReadType(column: ColumnSpec): string {
  return parseColumnType(column.type)?.base === 'binary' ? 'VARCHAR' : sqlType(column, 'duckdb');
}

/** The value a staged column loads as (binary decoded from hex; a bad digit fails the file). */
function stagedValueSql(column: ColumnSpec): string {
  const name = quoteIdentifier(column.name);
  return parseColumnType(column.type)?.base === 'binary' ? `unhex(${name})` : name;
}

/**
 * `read_csv` of a staged file with the catalog's types: RFC 4180 quoting, an unquoted empty
 * field is NULL and a quoted one (`""`) the empty string (`allow_quoted_nulls = false`: DuckDB
 * would otherwise read both as NULL).
 */
function readCsvSql(file: string, fileColumns: readonly ColumnSpec[], extra = ''): string {
  const columns = fileColumns.map((c) => `${literal(c.name)}: ${literal(stagedReadType(c))}`).join(', ');
  return (
    `read_csv(${literal(file)}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', ` +
    `nullstr = '', allow_quoted_nulls = false, columns = {${columns}}${extra})`
  );
}

/** Files an unload counts and uploads at once: one counting while another uploads. */
const UNLOAD_UPLOADS = 2;

/** Longest header read before giving up on finding its end. */
const MAX_HEADER_CHARS = 1_000_000;

/**
 * The header row's field names (RFC 4180 quoting, by csv-parse: a quoted name may hold commas,
 * quotes and line breaks; a UTF-8 byte order mark is dropped). A `.gz` file is decompressed.
 * Only the first record is read.
 */
async function readHeader(local: string): Promise<string[]> {
  const raw = createReadStream(local);
  const input: Readable = local.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const parser = input.pipe(parse({ bom: true, to: 1, relax_column_count: true, max_record_size: MAX_HEADER_CHARS }));
  try {
    for await (const record of parser as AsyncIterable<string[]>) return record;
    return [];
  } catch (error) {
    throw new WarehouseError(`The header row of ${local} cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    raw.destroy();
    input.destroy();
  }
}

/**
 * Matches a file's header to the catalog table by name (case-insensitively, as Snowflake's
 * MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE does): the file's columns in header order, or the
 * problems that refuse the file (an unknown or repeated header column, a missing NOT NULL column).
 * A missing nullable column loads NULL.
 */
function matchHeader(
  header: readonly string[],
  table: TableSpec,
): { columns: ColumnSpec[]; problems: StagedFileProblem[] } {
  const byName = new Map(table.columns.map((c) => [c.name, c] as const));
  const columns: ColumnSpec[] = [];
  const problems: StagedFileProblem[] = [];
  const known = table.columns.map((c) => c.name).join(', ');
  for (const name of header) {
    const column = byName.get(name.trim().toLowerCase());
    if (!column) {
      problems.push({
        line: 1,
        column: name,
        message: `the header names column ${JSON.stringify(name)}, which table ${table.name} does not have (its columns: ${known}); remove it from the file or add it to the catalog`,
      });
    } else if (columns.includes(column)) {
      problems.push({
        line: 1,
        column: name,
        message: `the header names column ${JSON.stringify(name)} twice; keep one`,
      });
    } else columns.push(column);
  }
  for (const column of table.columns) {
    if (!column.nullable && !columns.includes(column)) {
      problems.push({
        line: 1,
        column: column.name,
        message: `the header lacks column ${column.name}, which table ${table.name} requires (NOT NULL); add it to the file`,
      });
    }
  }
  return { columns, problems };
}

/** The local warehouse: a DuckDB database file, reading and writing S3 through local files. */
export class DuckDbWarehouse implements Warehouse {
  public readonly kind = 'duckdb' as const;

  public get canUnload(): boolean {
    return this.s3 !== undefined;
  }
  /** One ObjectStore per bucket: the requests name their bucket, the port is bound to one. */
  private readonly stores = new Map<string, ObjectStore>();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly s3: S3Client | undefined,
  ) {}

  /** Opens (creating when writable) the database file. */
  public static async open(options: DuckDbWarehouseOptions): Promise<DuckDbWarehouse> {
    if (!options.readOnly) await mkdir(path.dirname(options.path), { recursive: true });
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(options.path, {
      access_mode: options.readOnly ? 'READ_ONLY' : 'READ_WRITE',
      memory_limit: options.memoryLimit ?? '1GB',
      // Nothing InsightFlow reads from DuckDB depends on insertion order (exports are snapshots,
      // ORDER BY still orders): without it, DuckDB streams large results in less memory.
      preserve_insertion_order: 'false',
      ...(options.threads ? { threads: String(options.threads) } : {}),
    });
    return new DuckDbWarehouse(instance, await instance.connect(), options.s3);
  }

  /** True when the database file exists (nothing has been loaded otherwise). */
  public static async exists(file: string): Promise<boolean> {
    return access(file).then(
      () => true,
      () => false,
    );
  }

  public async execute(sql: string): Promise<void> {
    try {
      await this.connection.run(sql);
    } catch (error) {
      throw new WarehouseError(`DuckDB refused a statement: ${(error as Error).message}`, { cause: error });
    }
  }

  public async *streamRows(sql: string): AsyncIterable<WarehouseRow[]> {
    let result: Awaited<ReturnType<DuckDBConnection['stream']>>;
    try {
      result = await this.connection.stream(sql);
    } catch (error) {
      throw new WarehouseError(`DuckDB refused a query: ${(error as Error).message}`, { cause: error });
    }
    for await (const rows of result.yieldRowsJs()) yield rows as WarehouseRow[];
  }

  /**
   * `COPY (query) TO` local CSV files of at most `maxFileBytes` each (DuckDB splits the output
   * as it writes, as Snowflake's MAX_FILE_SIZE does), then counts and uploads them under the
   * prefix as `<n>.csv`, in order, {@link UNLOAD_UPLOADS} at a time.
   */
  public async unload(request: UnloadRequest): Promise<UnloadedFile[]> {
    const store = this.storeFor(request.bucket, 'unload');
    const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-unload-'));
    try {
      const bytes = Math.max(1024 * 1024, Math.floor(request.maxFileBytes));
      let written: number;
      try {
        const copied = await this.connection.runAndReadAll(
          `COPY (${request.sql}) TO ${literal(dir)} (FORMAT csv, HEADER true, FILE_SIZE_BYTES ${bytes}, OVERWRITE true)`,
        );
        written = Number(copied.getRows()[0]?.[0] ?? 0);
      } catch (error) {
        throw new WarehouseError(`DuckDB refused to unload a query: ${(error as Error).message}`, { cause: error });
      }
      const files = (await readdir(dir))
        .map((name) => ({ name, n: Number(/^data_(\d+)\.csv$/.exec(name)?.[1]) }))
        .filter((f) => Number.isInteger(f.n))
        .sort((a, b) => a.n - b.n)
        .map((f) => path.join(dir, f.name));
      const limit = pLimit(UNLOAD_UPLOADS);
      // A query with no rows writes one file with just its header: the run then lists that part.
      return await Promise.all(
        files.map((file, index) =>
          limit(async () => {
            const key = `${request.prefix}${index}.csv`;
            // One file holds every row COPY wrote; several are counted (DuckDB splits by bytes).
            const rows = files.length === 1 ? written : await this.countCsvRows(file);
            const { size } = await stat(file);
            await store.upload(key, createReadStream(file), { contentType: 'text/csv; charset=utf-8' });
            return { key, rows, bytes: size };
          }),
        ),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Records in a CSV file the unload wrote (its header excluded). */
  private async countCsvRows(file: string): Promise<number> {
    const count = await this.connection.runAndReadAll(
      `SELECT count(*) FROM read_csv(${literal(file)}, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')`,
    );
    return Number(count.getRows()[0]?.[0] ?? 0);
  }

  /**
   * Plans every catalog table against the information schema; refuses before changing anything,
   * else creates the missing tables and applies the changes (`ADD COLUMN`, `ALTER COLUMN … TYPE`,
   * `ALTER COLUMN … DROP NOT NULL`) in one transaction.
   */
  public async ensureCatalogTables(catalog: Catalog): Promise<CatalogTableChange[]> {
    const plan = planCatalogTables(
      'duckdb',
      await this.describeTables(),
      catalog.tables,
      catalog.schemaChanges,
      (table) =>
        `drop ${table} in the local warehouse and forget its loaded files (in DuckDB: DROP TABLE ${table}; ` +
        `DELETE FROM ${LOADED_FILES_TABLE} WHERE table_name = '${table}'), then run \`insightflow load\` again; ` +
        'or change the catalog back',
    );
    if (plan.refused.length > 0) throw new SchemaChangeRefusedError('the warehouse', plan.refused);
    const statements: string[] = [];
    // No PRIMARY KEY: DuckDB keeps key indexes in memory (a 32 M-row key would not fit a small
    // machine), and Snowflake, which this stands in for, does not enforce keys either.
    for (const table of plan.create) statements.push(createTableSql(table, 'duckdb', { primaryKey: false }));
    for (const { table, applied } of plan.evolve) {
      const alter = `ALTER TABLE ${quoteIdentifier(table.name)}`;
      for (const change of applied) {
        if (change.kind === 'add') {
          statements.push(
            `${alter} ADD COLUMN ${quoteIdentifier(change.column.name)} ${sqlType(change.column, 'duckdb')}`,
          );
        } else if (change.kind === 'widen') {
          statements.push(
            `${alter} ALTER COLUMN ${quoteIdentifier(change.column)} TYPE ${sqlType({ type: change.to }, 'duckdb')}`,
          );
        } else statements.push(`${alter} ALTER COLUMN ${quoteIdentifier(change.column)} DROP NOT NULL`);
      }
    }
    if (statements.length > 0) {
      await this.execute('BEGIN TRANSACTION');
      try {
        for (const statement of statements) await this.execute(statement);
        await this.execute('COMMIT');
      } catch (error) {
        await this.execute('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }
    await this.execute(
      `CREATE TABLE IF NOT EXISTS ${LOADED_FILES_TABLE} (file_key VARCHAR NOT NULL, etag VARCHAR NOT NULL, ` +
        'table_name VARCHAR NOT NULL, rows BIGINT NOT NULL, loaded_at TIMESTAMPTZ NOT NULL DEFAULT now(), ' +
        'PRIMARY KEY (file_key, etag))',
    );
    return planChanges(plan);
  }

  /**
   * Loads a staged file under the SKIP_FILE policy: the file is validated against the catalog's
   * types first (every bad line is reported with its number); a file with any bad line loads
   * nothing. The rows and the ledger entry commit in one transaction.
   */
  public async loadStagedFile(file: StagedFile): Promise<FileLoadReport> {
    const store = this.storeFor(file.bucket, 'load staged files');
    const { table } = file;
    const etag = await this.etagOf(store, file);
    // Ledgers written before the ObjectStore port recorded the entity tag with its quotes.
    const already = await this.connection.runAndReadAll(
      `SELECT count(*) FROM ${LOADED_FILES_TABLE} WHERE file_key = $1 AND etag IN ($2, $3)`,
      [file.key, etag, `"${etag}"`],
    );
    const base = { table: table.name, file: file.key };
    if (Number(already.getRows()[0]?.[0] ?? 0) > 0) {
      return { ...base, status: 'skipped', rowsLoaded: 0, rowsRejected: 0, problems: [] };
    }

    const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-stage-'));
    const local = path.join(dir, path.basename(file.key));
    try {
      await pipeline((await store.get(file.key)).body, createWriteStream(local));
      const header = matchHeader(await readHeader(local), table);
      if (header.problems.length > 0) {
        // Refused before any row is read: no row is counted as bad, the header is.
        return {
          ...base,
          status: 'rejected',
          rowsLoaded: 0,
          rowsRejected: 0,
          problems: header.problems.slice(0, MAX_REPORTED_PROBLEMS),
        };
      }
      const problems = await this.validate(local, header.columns);
      if (problems.count > 0) {
        return {
          ...base,
          status: 'rejected',
          rowsLoaded: 0,
          rowsRejected: problems.count,
          problems: problems.first,
        };
      }
      const rowsLoaded = await this.insertInTransaction(local, table, header.columns, file, etag);
      return { ...base, status: 'loaded', rowsLoaded, rowsRejected: 0, problems: [] };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** A key loads that file; a prefix loads each `.csv`/`.csv.gz` object under it, in key order. */
  public async loadStage(source: StagedSource): Promise<FileLoadReport[]> {
    const { table, bucket, location } = source;
    if (!location.endsWith('/')) return [await this.loadStagedFile({ table, bucket, key: location })];
    const store = this.storeFor(bucket, 'load staged files');
    const keys: string[] = [];
    for await (const object of store.list(location)) if (STAGED_FILE_PATTERN.test(object.key)) keys.push(object.key);
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const reports: FileLoadReport[] = [];
    for (const key of keys) reports.push(await this.loadStagedFile({ table, bucket, key }));
    return reports;
  }

  private async etagOf(store: ObjectStore, file: StagedFile): Promise<string> {
    const unreadable = (reason: string, cause?: unknown) =>
      new WarehouseError(
        `Staged file s3://${file.bucket}/${file.key} cannot be read: ${reason}. ` +
          'Generate it first (`insightflow generate`) or check STAGE_BUCKET.',
        cause === undefined ? {} : { cause },
      );
    let head: ObjectInfo | undefined;
    try {
      head = await store.head(file.key);
    } catch (error) {
      throw unreadable((error as Error).message, error);
    }
    if (!head) throw unreadable('NotFound');
    return head.etag;
  }

  private async validate(local: string, fileColumns: readonly ColumnSpec[]) {
    await this.execute('DROP TABLE IF EXISTS insightflow_reject_errors; DROP TABLE IF EXISTS insightflow_reject_scans');
    // Count every column: with count(*) alone, DuckDB would skip reading (and converting) them.
    const everyColumn = fileColumns.map((c) => `count(${quoteIdentifier(c.name)})`).join(', ');
    await this.execute(
      `SELECT ${everyColumn} FROM ${readCsvSql(
        local,
        fileColumns,
        ", store_rejects = true, rejects_table = 'insightflow_reject_errors', rejects_scan = 'insightflow_reject_scans'",
      )}`,
    );
    const errors = await this.connection.runAndReadAll(
      'SELECT line, column_name, error_type, error_message FROM insightflow_reject_errors ORDER BY line',
    );
    const rows = errors.getRowObjectsJS() as { line: bigint; column_name: string | null; error_message: string }[];
    // One problem per line: a short line is reported once per missing column.
    const firstPerLine = [...new Map(rows.map((r) => [Number(r.line), r] as const)).values()];
    return {
      count: firstPerLine.length,
      first: firstPerLine.slice(0, MAX_REPORTED_PROBLEMS).map((r) => ({
        line: Number(r.line),
        column: r.column_name,
        message: r.error_message.split('\n')[0] ?? r.error_message,
      })),
    };
  }

  private async insertInTransaction(
    local: string,
    table: TableSpec,
    fileColumns: readonly ColumnSpec[],
    file: StagedFile,
    etag: string,
  ): Promise<number> {
    await this.execute('BEGIN TRANSACTION');
    try {
      // By name: the table's columns the file lacks get NULL.
      const names = fileColumns.map((c) => quoteIdentifier(c.name)).join(', ');
      const inserted = await this.connection.runAndReadAll(
        `INSERT INTO ${quoteIdentifier(table.name)} (${names}) SELECT ${fileColumns.map(stagedValueSql).join(', ')} FROM ${readCsvSql(local, fileColumns)}`,
      );
      const rows = Number(inserted.getRows()[0]?.[0] ?? 0);
      await this.connection.run(
        `INSERT INTO ${LOADED_FILES_TABLE} (file_key, etag, table_name, rows) VALUES ($1, $2, $3, $4)`,
        [file.key, etag, table.name, rows],
      );
      await this.execute('COMMIT');
      return rows;
    } catch (error) {
      await this.execute('ROLLBACK').catch(() => undefined);
      if (error instanceof WarehouseError) throw error;
      throw new WarehouseError(
        `Loading s3://${file.bucket}/${file.key} into ${table.name} failed and was rolled back: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  public async countRows(table: TableName): Promise<number | undefined> {
    const found = await this.connection.runAndReadAll(
      "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = $1",
      [table],
    );
    if (Number(found.getRows()[0]?.[0] ?? 0) === 0) return undefined;
    const result = await this.connection.runAndReadAll(`SELECT count(*) FROM ${quoteIdentifier(table)}`);
    return Number(result.getRows()[0]?.[0] ?? 0);
  }

  public async describeTables(): Promise<SourceTable[]> {
    try {
      const columns = await this.connection.runAndReadAll(DUCKDB_COLUMNS_SQL);
      const keys = await this.connection.runAndReadAll(DUCKDB_PRIMARY_KEYS_SQL);
      return sourceTablesFrom(columns.getRowObjectsJS(), keys.getRowObjectsJS());
    } catch (error) {
      throw new WarehouseError(`DuckDB could not describe its tables: ${(error as Error).message}`, { cause: error });
    }
  }

  public async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private storeFor(bucket: string, action: string): ObjectStore {
    if (!this.s3) throw new WarehouseError(`The DuckDB warehouse needs an S3 client to ${action}`);
    let store = this.stores.get(bucket);
    if (!store) {
      store = new S3ObjectStore(this.s3, bucket);
      this.stores.set(bucket, store);
    }
    return store;
  }
}
