import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
// Type-only: the native module loads when the engine first runs, so the Lambda bundle (Athena) leaves it out.
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { ObjectStore } from '@insightflow/object-store';
import { CLEAN_REJECTS_FILE, type CleanPointer, SqlDialect, sqlType } from '@insightflow/shared-config';
import pLimit from 'p-limit';
import type { CleanBuildOutcome, CleanBuildRequest, CleanEngine } from '../buildCleanTables.js';
import {
  CleanDialect,
  type CleanTableDefinition,
  RAW_BATCH,
  RAW_INPUTS,
  RAW_STREAM,
  type RawRelations,
  renderCleanSelect,
  renderDistinctKeysSelect,
  renderStagedRejectsSelect,
  renderTypedStage,
} from '../cleanDefinition.js';
import type { TableInputs } from '../cleanInputs.js';

/** Options of the local engine. */
export interface DuckDbCleanEngineOptions {
  /** The raw bucket the inputs are read from, through the S3 API (httpfs is not available offline). */
  raw: ObjectStore;
  /** The clean bucket the version's files are uploaded to (multipart, lib-storage). */
  clean: ObjectStore;
  /** DuckDB's buffer pool; past it, the deduplication spills to the build's temporary directory. */
  memoryLimit?: string;
  /** DuckDB's worker threads; all cores when absent. */
  threads?: number;
  /** Target size of one Parquet file (≈128 MB, what Athena and Spark read best). */
  fileSizeBytes?: number;
  /** Where builds keep their downloads, spill and output; the OS temporary directory when absent. */
  workDirectory?: string;
}

/** A batch row's record columns: DuckDB's CSV reader keeps what it cannot parse in its reject tables. */
const UNREAD_RECORD =
  'CAST(NULL AS BIGINT) AS "_line", CAST(NULL AS VARCHAR) AS "_invalid", CAST(NULL AS VARCHAR) AS "_raw"';
/** The view over a build's typed copy of its raw rows. */
const TYPED_STAGE = 'typed_stage';
/** Objects downloaded or uploaded at once. */
const TRANSFER_CONCURRENCY = 4;
/** Hive's directory name for a NULL partition value (what Athena's UNLOAD writes too). */
const HIVE_NULL_PARTITION = '__HIVE_DEFAULT_PARTITION__';

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
/** A SQL string literal; only paths and keys this engine checked or made are passed here. */
const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

/**
 * A build's own directory under the work directory (downloads, spill, staged and written files):
 * `insightflow-clean-<pid>-<random>`. The owner's pid is in the name, so the directory says whose
 * it is from the moment it exists: a build killed before it wrote anything is still recognised.
 */
const BUILD_DIRECTORY_PREFIX = 'insightflow-clean-';
const BUILD_DIRECTORY_OWNER = /^insightflow-clean-(\d+)-/;

/** True when a process with this pid is running (signal 0 checks without signalling). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the directories of builds whose process is gone (killed mid-build, they hold up to the
 * table's whole raw input): a build directory whose owner pid (in its name) is not running, or
 * whose name carries no pid and that is over an hour old. A build that is running keeps its directory.
 */
export async function removeAbandonedBuilds(workDirectory: string): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(workDirectory, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory() || !entry.name.startsWith(BUILD_DIRECTORY_PREFIX)) continue;
    const directory = path.join(workDirectory, entry.name);
    const owner = Number.parseInt(BUILD_DIRECTORY_OWNER.exec(entry.name)?.[1] ?? '', 10);
    const abandoned = Number.isSafeInteger(owner)
      ? owner !== process.pid && !isRunning(owner)
      : Date.now() - (await stat(directory)).mtimeMs > 3_600_000;
    if (!abandoned) continue;
    await rm(directory, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/** A partition value as a Hive path segment: what is not a safe path character is %-escaped, as Hive does. */
export function hivePartitionSegment(column: string, value: string | null): string {
  if (value === null) return `${column}=${HIVE_NULL_PARTITION}`;
  const escaped = [...value]
    .map((ch) =>
      /^[A-Za-z0-9_.-]$/.test(ch)
        ? ch
        : [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
    )
    .join('');
  return `${column}=${escaped}`;
}

/**
 * Downloads objects to `<directory>/<key>`, a few at a time, and returns the local paths. A key
 * that would land outside the directory is refused (keys come from listings the layouts checked).
 */
async function downloadObjects(store: ObjectStore, keys: readonly string[], directory: string): Promise<string[]> {
  const limit = pLimit(TRANSFER_CONCURRENCY);
  return Promise.all(
    keys.map((key) =>
      limit(async () => {
        const target = path.join(directory, key);
        if (!target.startsWith(`${directory}${path.sep}`)) {
          throw new Error(`Refusing the key ${JSON.stringify(key)} of s3://${store.bucket}: it leaves ${directory}`);
        }
        await mkdir(path.dirname(target), { recursive: true });
        await pipeline((await store.get(key)).body, createWriteStream(target));
        return target;
      }),
    ),
  );
}

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/**
 * The clean layer's local engine: DuckDB runs the clean definition over the raw inputs, which it
 * reads as local files the SDK downloaded from the raw bucket, writes Parquet of about 128 MB per
 * file (Hive partitions by the catalog's `partitionBy`), and the SDK uploads the files to the
 * version's prefix. Each build has its own in-memory database and temporary directory, removed
 * afterwards, killed or not (a killed build's directory is in the OS temporary directory).
 */
export class DuckDbCleanEngine implements CleanEngine {
  public readonly name = 'DuckDB';

  public constructor(private readonly options: DuckDbCleanEngineOptions) {}

  /** Runs `work` with the raw relations of `inputs` defined over a fresh database; cleans up after. */
  private async withRaw<T>(
    definition: CleanTableDefinition,
    inputs: TableInputs,
    work: (connection: DuckDBConnection, home: string, relations: RawRelations) => Promise<T>,
  ): Promise<T> {
    const workDirectory = this.options.workDirectory ?? tmpdir();
    await removeAbandonedBuilds(workDirectory);
    const home = await mkdtemp(path.join(workDirectory, `${BUILD_DIRECTORY_PREFIX}${process.pid}-`));
    let instance: DuckDBInstance | undefined;
    let connection: DuckDBConnection | undefined;
    try {
      const rawDir = path.join(home, 'raw');
      await this.download(inputs, rawDir);
      const { DuckDBInstance } = await import('@duckdb/node-api');
      instance = await DuckDBInstance.create(':memory:', {
        memory_limit: this.options.memoryLimit ?? '256MB',
        temp_directory: path.join(home, 'spill'),
        preserve_insertion_order: 'false',
        ...(this.options.threads ? { threads: String(this.options.threads) } : {}),
      });
      connection = await instance.connect();
      // DuckDB 1.5's rewrite of `row_number() … = 1` fails to bind ("Failed to bind column
      // reference") when the window reads a filtered Parquet scan, as the deduplication does.
      await connection.run("SET disabled_optimizers = 'top_n_window_elimination'");
      const relations = await defineRawRelations(connection, definition, inputs, rawDir);
      return await work(connection, home, relations);
    } finally {
      connection?.closeSync();
      instance?.closeSync();
      await rm(home, { recursive: true, force: true });
    }
  }

  /** Downloads every input to `<rawDir>/<key>` (keys are the lake layout's, checked when listed). */
  private async download(inputs: TableInputs, rawDir: string): Promise<string[]> {
    return downloadObjects(
      this.options.raw,
      [...(inputs.batch?.parts ?? []), ...inputs.stream].map((i) => i.key),
      rawDir,
    );
  }

  public async build(request: CleanBuildRequest): Promise<CleanBuildOutcome> {
    const { definition, inputs, prefix } = request;
    return this.withRaw(definition, inputs, async (connection, home, relations) => {
      const out = path.join(home, 'out');
      await mkdir(out, { recursive: true });
      // One scan of the raw text types every row and marks its rejects; the deduplication and the
      // rejects then read the narrow typed copy instead of parsing the CSV again.
      const staged = path.join(home, 'typed.parquet');
      await connection.run(
        `COPY (${renderTypedStage(definition, CleanDialect.duckdb, relations)}) TO ${literal(staged)} (FORMAT parquet, COMPRESSION snappy)`,
      );
      await connection.run(`CREATE VIEW ${TYPED_STAGE} AS SELECT * FROM read_parquet(${literal(staged)})`);
      const select = renderCleanSelect(definition, CleanDialect.duckdb, relations, { staged: TYPED_STAGE });
      const rows = await this.writeParquet(connection, definition, select, home, out);
      const rejects = await writeRejects(connection, path.join(home, 'raw'), path.join(home, CLEAN_REJECTS_FILE));
      const limit = pLimit(TRANSFER_CONCURRENCY);
      const uploads = (await filesUnder(out)).map((file) => ({
        file,
        key: `${prefix}${path.relative(out, file).split(path.sep).join('/')}`,
      }));
      if (rejects > 0)
        uploads.push({ file: path.join(home, CLEAN_REJECTS_FILE), key: `${prefix}${CLEAN_REJECTS_FILE}` });
      await Promise.all(
        uploads.map(({ file, key }) =>
          limit(() =>
            this.options.clean.upload(key, createReadStream(file), {
              contentType: key.endsWith('.csv') ? 'text/csv' : 'application/vnd.apache.parquet',
            }),
          ),
        ),
      );
      return { rows, rejects };
    });
  }

  /** Writes the clean rows as Parquet under `out`: one directory per partition, files of about the target size. */
  private async writeParquet(
    connection: DuckDBConnection,
    definition: CleanTableDefinition,
    select: string,
    home: string,
    out: string,
  ): Promise<number> {
    const fileSize = this.options.fileSizeBytes ?? 128 * 1024 * 1024;
    const parquet = `FORMAT parquet, COMPRESSION zstd, FILE_SIZE_BYTES ${fileSize}, FILENAME_PATTERN 'part-{uuid}'`;
    if (definition.partitionBy.length === 0) {
      return copyCount(connection, `COPY (${select}) TO ${literal(out)} (${parquet})`);
    }
    // DuckDB cannot size files of a PARTITION_BY copy: stage the rows once, then write each partition.
    const staged = path.join(home, 'staged.parquet');
    const rows = await copyCount(
      connection,
      `COPY (${select}) TO ${literal(staged)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    const columns = definition.partitionBy.map(quote);
    const asText = columns.map((c) => `CAST(${c} AS VARCHAR)`);
    const partitions = await connection.runAndReadAll(
      `SELECT DISTINCT ${asText.map((c, i) => `${c} AS p${i}`).join(', ')} FROM read_parquet(${literal(staged)})`,
    );
    for (const values of partitions.getRowsJS() as (string | null)[][]) {
      const directory = path.join(
        out,
        ...definition.partitionBy.map((c, i) => hivePartitionSegment(c, values[i] ?? null)),
      );
      const where = asText.map((c, i) => `${c} IS NOT DISTINCT FROM $${i + 1}`).join(' AND ');
      await connection.run(
        `COPY (SELECT * EXCLUDE (${columns.join(', ')}) FROM read_parquet(${literal(staged)}) WHERE ${where}) TO ${literal(directory)} (${parquet})`,
        values,
      );
    }
    return rows;
  }

  /** Local builds have no catalog beyond the pointer. */
  public async publish(): Promise<void> {}

  /** The distinct keys among the raw rows that type cleanly: what a clean table's rows must number. */
  public async distinctKeys(definition: CleanTableDefinition, inputs: TableInputs): Promise<number> {
    return this.withRaw(definition, inputs, async (connection, _home, relations) => {
      const result = await connection.runAndReadAll(
        renderDistinctKeysSelect(definition, CleanDialect.duckdb, relations),
      );
      return Number(result.getRowsJS()[0]?.[0] ?? 0);
    });
  }
}

/** Rows a COPY wrote (DuckDB answers a COPY with its count). */
async function copyCount(connection: DuckDBConnection, sql: string): Promise<number> {
  const result = await connection.runAndReadAll(sql);
  return Number(result.getRowsJS()[0]?.[0] ?? 0);
}

/**
 * Defines {@link RAW_INPUTS}, {@link RAW_BATCH} and (when the table has stream objects)
 * {@link RAW_STREAM} over the downloaded files, every column as text. `_input` is the object's
 * place in load order (batch parts from 0, then streamed objects by key). A batch part is read
 * with its run's header (a run written before a schema change lacks the new columns: NULL); CSV
 * lines that do not parse are kept in DuckDB's reject tables (`store_rejects`) for the rejects object.
 */
async function defineRawRelations(
  connection: DuckDBConnection,
  definition: CleanTableDefinition,
  inputs: TableInputs,
  rawDir: string,
): Promise<RawRelations> {
  const timestamp = (at: Date) => at.toISOString().replace('T', ' ').replace('Z', '');
  await connection.run(
    `CREATE TABLE ${RAW_INPUTS} ("_input" INTEGER, "_source" VARCHAR, "_source_key" VARCHAR, "_source_at" TIMESTAMP)`,
  );
  const appender = await connection.createAppender(RAW_INPUTS);
  const { batch } = inputs;
  const parts = batch?.parts ?? [];
  const objects: { source: string; key: string; at: Date }[] = [
    ...parts.map((p) => ({ source: 'batch', key: p.key, at: (batch as NonNullable<typeof batch>).runAt })),
    ...inputs.stream.map((o) => ({ source: 'streaming', key: o.key, at: o.arrivedAt })),
  ];
  for (const [i, object] of objects.entries()) {
    appender.appendInteger(i);
    appender.appendVarchar(object.source);
    appender.appendVarchar(object.key);
    appender.appendVarchar(timestamp(object.at));
    appender.endRow();
  }
  appender.closeSync();

  if (batch && parts.length > 0) {
    const header = `{${batch.columns.map((c) => `${literal(c)}: 'VARCHAR'`).join(', ')}}`;
    const columns = definition.columns.map((c) =>
      batch.columns.includes(c.name) ? quote(c.name) : `CAST(NULL AS VARCHAR) AS ${quote(c.name)}`,
    );
    // One scan per part with its ordinal as a constant: no per-row work to know where a row came from.
    const scans = parts.map(
      (p, i) =>
        `SELECT ${columns.join(', ')}, ${i} AS "_input", ${UNREAD_RECORD} FROM read_csv(${literal(path.join(rawDir, p.key))}, header = true, columns = ${header}, auto_detect = false, delim = ',', quote = '"', escape = '"', allow_quoted_nulls = false, hive_partitioning = false, store_rejects = true)`,
    );
    await connection.run(`CREATE VIEW ${RAW_BATCH} AS ${scans.join('\nUNION ALL\n')}`);
  } else {
    const columns = definition.columns.map((c) => `CAST(NULL AS VARCHAR) AS ${quote(c.name)}`);
    await connection.run(
      `CREATE VIEW ${RAW_BATCH} AS SELECT ${columns.join(', ')}, CAST(NULL AS INTEGER) AS "_input", ${UNREAD_RECORD} WHERE false`,
    );
  }
  if (inputs.stream.length === 0) return { stream: false };
  // Each streamed object as its lines (read_text, split): a line that is not a JSON object is a
  // reject with its line number, not a failed build. `->>` keeps a number's digits as written.
  const files = inputs.stream.map((o) => literal(path.join(rawDir, o.key))).join(', ');
  const value = (c: { name: string }) =>
    `CASE WHEN l.is_object THEN l.record ->> ${literal(c.name)} END AS ${quote(c.name)}`;
  await connection.run(
    `CREATE VIEW ${RAW_STREAM} AS SELECT ${definition.columns.map(value).join(', ')}, i."_input", l.line_number AS "_line",
       CASE WHEN NOT l.is_object THEN 'not a JSON object of the row' END AS "_invalid", CASE WHEN NOT l.is_object THEN l.line END AS "_raw"
     FROM (
       SELECT filename, line, line_number, TRY(json(line)) AS record, coalesce(json_type(TRY(json(line))) = 'OBJECT', false) AS is_object
       FROM (SELECT filename, unnest(lines) AS line, generate_subscripts(lines, 1) AS line_number
             FROM (SELECT filename, string_split(content, chr(10)) AS lines FROM read_text([${files}])))
       WHERE trim(line) <> ''
     ) AS l
     JOIN ${RAW_INPUTS} AS i ON i."_source_key" = substr(l.filename, ${rawDir.length + 2})`,
  );
  return { stream: true };
}

/**
 * Writes the rejects of a build as CSV (object_key, line, column_name, raw_value, reason): values
 * that did not cast, and CSV lines that did not parse. Returns how many; no file when none.
 */
async function writeRejects(connection: DuckDBConnection, rawDir: string, file: string): Promise<number> {
  const parts = [renderStagedRejectsSelect(TYPED_STAGE)];
  const hasScans = await connection.runAndReadAll(
    "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'reject_errors' AND temporary",
  );
  if (Number(hasScans.getRowsJS()[0]?.[0] ?? 0) > 0) {
    parts.push(
      `SELECT DISTINCT substr(s.file_path, ${rawDir.length + 2}) AS object_key, CAST(e.line AS BIGINT) AS line,
         e.column_name, e.csv_line AS raw_value, e.error_message AS reason
       FROM reject_errors AS e JOIN reject_scans AS s USING (scan_id, file_id)`,
    );
  }
  await connection.run(`CREATE TEMP TABLE build_rejects AS ${parts.join('\nUNION ALL\n')}`);
  const count = await connection.runAndReadAll('SELECT count(*) FROM build_rejects');
  const n = Number(count.getRowsJS()[0]?.[0] ?? 0);
  if (n > 0)
    await connection.run(
      `COPY (SELECT * FROM build_rejects ORDER BY object_key, line NULLS LAST) TO ${literal(file)} (HEADER)`,
    );
  return n;
}

/** The DuckDB type of a clean column (the catalog's; provenance columns are text and timestamp). */
function duckDbType(column: { type: string }): string {
  return sqlType(column, SqlDialect.duckdb);
}

/**
 * Reads published clean tables back with DuckDB: downloads each pointer's files (through the SDK)
 * into `directory` and defines one view per table over them, typed as the pointer's schema says
 * (Hive partition values come back as their catalog types). A table with no files is an empty view.
 */
export async function attachCleanTables(
  connection: DuckDBConnection,
  clean: ObjectStore,
  pointers: readonly CleanPointer[],
  directory: string,
): Promise<void> {
  for (const pointer of pointers) {
    const local = await downloadObjects(
      clean,
      pointer.files.map((f) => f.key),
      directory,
    );
    // Partition values come back from their paths as text: Hive's NULL marker and %-escapes undone here.
    const columns = pointer.schema.map((c) =>
      pointer.partitionBy.includes(c.name)
        ? `CAST(url_decode(NULLIF(${quote(c.name)}, ${literal(HIVE_NULL_PARTITION)})) AS ${duckDbType(c)}) AS ${quote(c.name)}`
        : `CAST(${quote(c.name)} AS ${duckDbType(c)}) AS ${quote(c.name)}`,
    );
    if (local.length === 0) {
      const empty = pointer.schema.map((c) => `CAST(NULL AS ${duckDbType(c)}) AS ${quote(c.name)}`);
      await connection.run(`CREATE VIEW ${quote(pointer.table)} AS SELECT ${empty.join(', ')} WHERE false`);
      continue;
    }
    const hiveTypes = pointer.partitionBy.map((p) => `${literal(p)}: 'VARCHAR'`);
    const hive =
      pointer.partitionBy.length > 0
        ? `hive_partitioning = true, hive_types = {${hiveTypes.join(', ')}}`
        : 'hive_partitioning = false';
    await connection.run(
      `CREATE VIEW ${quote(pointer.table)} AS SELECT ${columns.join(', ')} FROM read_parquet([${local.map(literal).join(', ')}], ${hive})`,
    );
  }
}

/** Row counts of published clean tables, counted from their Parquet read back through the SDK. */
export async function countCleanRows(
  clean: ObjectStore,
  pointers: readonly CleanPointer[],
): Promise<Map<string, number>> {
  const directory = await mkdtemp(path.join(tmpdir(), 'insightflow-clean-count-'));
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { memory_limit: '128MB' });
  const connection = await instance.connect();
  try {
    await attachCleanTables(connection, clean, pointers, directory);
    const counts = new Map<string, number>();
    for (const pointer of pointers) {
      const result = await connection.runAndReadAll(`SELECT count(*) FROM ${quote(pointer.table)}`);
      counts.set(pointer.table, Number(result.getRowsJS()[0]?.[0] ?? 0));
    }
    return counts;
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(directory, { recursive: true, force: true });
  }
}
