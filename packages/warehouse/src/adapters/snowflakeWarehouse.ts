import type { Readable } from 'node:stream';
import {
  type Catalog,
  createTableSql,
  dialectIdentifier,
  SchemaChangeRefusedError,
  sqlType,
  type TableName,
  type TableSpec,
} from '@insightflow/shared-config';
import snowflake from 'snowflake-sdk';
import { planCatalogTables, planChanges } from '../catalogTableChanges.js';
import { kindForSqlState, WarehouseError } from '../errors.js';
import { snowflakeInformationSchemaSql, sourceTablesFrom } from '../informationSchema.js';
import {
  type CatalogTableChange,
  type FileLoadReport,
  MAX_REPORTED_PROBLEMS,
  type SourceTable,
  type StagedFile,
  type StagedFileProblem,
  type StagedSource,
  type UnloadedFile,
  type UnloadRequest,
  type Warehouse,
  type WarehouseRow,
} from '../warehouse.js';

/** Key-pair (JWT) authentication, or a password; both come from Secrets Manager on AWS. */
export type SnowflakeCredentials = { privateKey: string; privateKeyPass?: string } | { password: string };

/** An external stage over an S3 location, created through a storage integration. */
export interface SnowflakeStage {
  /** Stage name (unquoted identifier). */
  name: string;
  bucket: string;
  /** Key prefix the stage's URL points at; ends in `/` or is empty. */
  prefix: string;
}

/** How to reach Snowflake and where its stages are. */
export interface SnowflakeWarehouseOptions {
  account: string;
  user: string;
  credentials: SnowflakeCredentials;
  role?: string | undefined;
  warehouse?: string | undefined;
  database: string;
  schema: string;
  /** Overrides the endpoint (the protocol test server). */
  accessUrl?: string | undefined;
  /** The stage over the stage bucket, that source files are loaded from. */
  sourceStage?: SnowflakeStage | undefined;
  /** The stage over the raw bucket, that unloads write to. */
  rawStage?: SnowflakeStage | undefined;
  /** Creates the stages when missing (needs the integration's name). */
  storageIntegration?: string | undefined;
  /** Receives the driver's own log lines (errors only). */
  log?: (message: string) => void;
}

/** Rows handed to the consumer per batch. */
const BATCH_ROWS = 2048;

/** Statement text in logs and errors: enough to recognise it, never whole data. */
function shortSql(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 160)}…` : flat;
}

/** A SQL string literal. */
function literal(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/**
 * Snowflake's CSV format for staged files: header, quoted fields, an unquoted empty field is NULL
 * and a quoted one (`""`) the empty string (NULL_IF = () — with `''` in NULL_IF Snowflake would
 * read both as NULL), any compression.
 */
const LOAD_FILE_FORMAT =
  "(TYPE = CSV SKIP_HEADER = 1 FIELD_OPTIONALLY_ENCLOSED_BY = '\"' NULL_IF = () EMPTY_FIELD_AS_NULL = TRUE COMPRESSION = AUTO)";
/**
 * The same format, columns matched by the header's names (PARSE_HEADER replaces SKIP_HEADER;
 * used with MATCH_BY_COLUMN_NAME).
 */
const LOAD_BY_NAME_FILE_FORMAT =
  "(TYPE = CSV PARSE_HEADER = TRUE FIELD_OPTIONALLY_ENCLOSED_BY = '\"' NULL_IF = () EMPTY_FIELD_AS_NULL = TRUE COMPRESSION = AUTO)";
/** The files a prefix stage's COPY loads (Snowflake matches PATTERN against the whole path). */
const STAGED_FILES_PATTERN = "'.*[.]csv([.]gz)?'";
/** The lake's CSV format: header, RFC 4180 quoting, NULL as an empty field, "" for an empty string. */
const UNLOAD_FILE_FORMAT =
  "(TYPE = CSV COMPRESSION = NONE FIELD_OPTIONALLY_ENCLOSED_BY = '\"' NULL_IF = ('') EMPTY_FIELD_AS_NULL = FALSE)";

let driverConfigured = false;

/** Snowflake through snowflake-sdk: streamed results, COPY INTO for loads and unloads. */
export class SnowflakeWarehouse implements Warehouse {
  public readonly kind = 'snowflake' as const;

  public get canUnload(): boolean {
    return this.options.rawStage !== undefined;
  }

  private constructor(
    private readonly connection: snowflake.Connection,
    private readonly options: SnowflakeWarehouseOptions,
  ) {}

  /** Connects (key-pair JWT or password). The connection is meant to be reused across calls. */
  public static async connect(options: SnowflakeWarehouseOptions): Promise<SnowflakeWarehouse> {
    if (!driverConfigured) {
      // Route the driver's log through ours at ERROR level: no stray ./snowflake.log.
      const log = options.log ?? (() => undefined);
      snowflake.configure({
        logLevel: 'ERROR',
        customLogger: {
          error: log,
          warn: () => undefined,
          info: () => undefined,
          debug: () => undefined,
          trace: () => undefined,
        },
      });
      driverConfigured = true;
    }
    const credentials =
      'privateKey' in options.credentials
        ? {
            authenticator: 'SNOWFLAKE_JWT',
            privateKey: options.credentials.privateKey,
            ...(options.credentials.privateKeyPass ? { privateKeyPass: options.credentials.privateKeyPass } : {}),
          }
        : { authenticator: 'SNOWFLAKE', password: options.credentials.password };
    const connection = snowflake.createConnection({
      account: options.account,
      username: options.user,
      database: options.database,
      schema: options.schema,
      application: 'InsightFlow',
      ...(options.role ? { role: options.role } : {}),
      ...(options.warehouse ? { warehouse: options.warehouse } : {}),
      ...(options.accessUrl ? { accessUrl: options.accessUrl } : {}),
      ...credentials,
    } as snowflake.ConnectionOptions);
    await new Promise<void>((resolve, reject) =>
      connection.connect((error) => (error ? reject(SnowflakeWarehouse.wrap(error, 'connect')) : resolve())),
    );
    return new SnowflakeWarehouse(connection, options);
  }

  private static wrap(error: unknown, what: string): WarehouseError {
    const e = error as { message?: string; code?: string | number; sqlState?: string };
    const code = e.code === undefined ? undefined : String(e.code);
    return new WarehouseError(
      `Snowflake failed to ${what}: ${e.message ?? String(error)}${code ? ` (code ${code}` : ''}${
        code && e.sqlState ? `, SQL state ${e.sqlState})` : code ? ')' : ''
      }`,
      { cause: error, code, sqlState: e.sqlState, kind: kindForSqlState(e.sqlState) },
    );
  }

  /** Runs a statement and collects its (small) result. */
  private query(sql: string, binds?: snowflake.Binds): Promise<{ rows: Record<string, unknown>[]; queryId: string }> {
    return new Promise((resolve, reject) => {
      this.connection.execute({
        sqlText: sql,
        ...(binds ? { binds } : {}),
        complete: (error, statement, rows) => {
          if (error) reject(SnowflakeWarehouse.wrap(error, `run ${shortSql(sql)}`));
          else resolve({ rows: (rows ?? []) as Record<string, unknown>[], queryId: statement.getQueryId() });
        },
      });
    });
  }

  public async execute(sql: string): Promise<void> {
    await this.query(sql);
  }

  public async *streamRows(sql: string): AsyncIterable<WarehouseRow[]> {
    const statement = await new Promise<snowflake.RowStatement>((resolve, reject) => {
      const s = this.connection.execute({
        sqlText: sql,
        streamResult: true,
        rowMode: 'array',
        complete: (error) => (error ? reject(SnowflakeWarehouse.wrap(error, `run ${shortSql(sql)}`)) : resolve(s)),
      });
    });
    const stream: Readable = statement.streamRows();
    let batch: WarehouseRow[] = [];
    try {
      for await (const row of stream) {
        batch.push(row as WarehouseRow);
        if (batch.length === BATCH_ROWS) {
          yield batch;
          batch = [];
        }
      }
    } catch (error) {
      throw SnowflakeWarehouse.wrap(error, `stream ${shortSql(sql)}`);
    }
    if (batch.length > 0) yield batch;
  }

  /**
   * `COPY INTO @raw_stage/<prefix>part FROM (query)`: the warehouse writes the files in parallel,
   * sized by MAX_FILE_SIZE; DETAILED_OUTPUT reports each file's rows and bytes.
   */
  public async unload(request: UnloadRequest): Promise<UnloadedFile[]> {
    const stage = this.requireStage(this.options.rawStage, 'rawStage', 'unload');
    if (request.bucket !== stage.bucket || !request.prefix.startsWith(stage.prefix)) {
      throw new WarehouseError(
        `Unload target s3://${request.bucket}/${request.prefix} is outside stage ${stage.name} (s3://${stage.bucket}/${stage.prefix}).`,
      );
    }
    const path = request.prefix.slice(stage.prefix.length);
    const { rows } = await this.query(
      `COPY INTO @${dialectIdentifier(stage.name.toLowerCase(), 'snowflake')}/${path}part FROM (${request.sql}) ` +
        `FILE_FORMAT = ${UNLOAD_FILE_FORMAT} HEADER = TRUE MAX_FILE_SIZE = ${Math.floor(request.maxFileBytes)} ` +
        'OVERWRITE = TRUE DETAILED_OUTPUT = TRUE',
    );
    return rows
      .map((r) => ({
        // FILE_NAME is relative to the COPY location's folder.
        key: `${request.prefix}${String(r.FILE_NAME).split('/').pop()}`,
        rows: Number(r.ROW_COUNT),
        bytes: Number(r.FILE_SIZE),
      }))
      .sort((a, b) => a.key.localeCompare(b.key, 'en', { numeric: true }));
  }

  /**
   * Plans every catalog table against `INFORMATION_SCHEMA.COLUMNS` and `SHOW PRIMARY KEYS`;
   * refuses before changing anything, else creates the missing tables and applies the changes
   * (`ADD COLUMN`, `ALTER COLUMN … SET DATA TYPE`, `ALTER COLUMN … DROP NOT NULL`). Snowflake
   * commits each DDL statement on its own, so a failure midway leaves the statements before it applied.
   */
  public async ensureCatalogTables(catalog: Catalog): Promise<CatalogTableChange[]> {
    const plan = planCatalogTables(
      'snowflake',
      await this.describeTables(),
      catalog.tables,
      catalog.schemaChanges,
      (table) =>
        `rebuild ${table.toUpperCase()} in Snowflake with the new types (CREATE OR REPLACE TABLE … AS SELECT with casts you ` +
        'have checked, or drop it and load its staged files again), or change the catalog back',
    );
    if (plan.refused.length > 0) throw new SchemaChangeRefusedError('the warehouse', plan.refused);
    const ident = (name: string) => dialectIdentifier(name, 'snowflake');
    for (const table of plan.create) await this.execute(createTableSql(table, 'snowflake'));
    for (const { table, applied } of plan.evolve) {
      const alter = `ALTER TABLE ${ident(table.name)}`;
      for (const change of applied) {
        if (change.kind === 'add') {
          await this.execute(`${alter} ADD COLUMN ${ident(change.column.name)} ${sqlType(change.column, 'snowflake')}`);
        } else if (change.kind === 'widen') {
          await this.execute(
            `${alter} ALTER COLUMN ${ident(change.column)} SET DATA TYPE ${sqlType({ type: change.to }, 'snowflake')}`,
          );
        } else await this.execute(`${alter} ALTER COLUMN ${ident(change.column)} DROP NOT NULL`);
      }
    }
    await this.ensureStages();
    return planChanges(plan);
  }

  /** Creates the source and raw stages when missing (with a storage integration only). */
  private async ensureStages(): Promise<void> {
    const integration = this.options.storageIntegration;
    if (!integration) return;
    for (const stage of [this.options.sourceStage, this.options.rawStage]) {
      if (!stage) continue;
      await this.execute(
        `CREATE STAGE IF NOT EXISTS ${dialectIdentifier(stage.name.toLowerCase(), 'snowflake')} ` +
          `URL = ${literal(`s3://${stage.bucket}/${stage.prefix}`)} STORAGE_INTEGRATION = ${integration}`,
      );
    }
  }

  /**
   * `COPY INTO <table> FROM @stage FILES = (…) ON_ERROR = SKIP_FILE`. Snowflake's load metadata
   * (kept 64 days) skips a file loaded before; a file with any bad row loads nothing, and
   * VALIDATE lists its bad rows with their lines.
   */
  public async loadStagedFile(file: StagedFile): Promise<FileLoadReport> {
    const stage = this.requireStage(this.options.sourceStage, 'sourceStage', 'load staged files');
    if (file.bucket !== stage.bucket || !file.key.startsWith(stage.prefix)) {
      throw new WarehouseError(`Staged file s3://${file.bucket}/${file.key} is outside stage ${stage.name}.`);
    }
    const { table } = file;
    const tableName = dialectIdentifier(table.name, 'snowflake');
    const { rows, queryId } = await this.query(
      `COPY INTO ${tableName} FROM @${dialectIdentifier(stage.name.toLowerCase(), 'snowflake')} ` +
        `FILES = (${literal(file.key.slice(stage.prefix.length))}) FILE_FORMAT = ${LOAD_FILE_FORMAT} ON_ERROR = SKIP_FILE`,
    );
    const result = rows[0];
    if (!result || !('ROWS_LOADED' in result || 'rows_loaded' in result)) {
      // "Copy executed with 0 files processed.": loaded before, per Snowflake's load metadata.
      return { table: table.name, file: file.key, status: 'skipped', rowsLoaded: 0, rowsRejected: 0, problems: [] };
    }
    const [report] = await this.reportsOf(table, [result], queryId, () => file.key);
    return report as FileLoadReport;
  }

  /**
   * A key stage loads that file ({@link loadStagedFile}); a prefix stage is one
   * `COPY INTO <table> FROM @stage/<prefix> PATTERN = '.*[.]csv([.]gz)?' … PARSE_HEADER = TRUE
   * MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE ON_ERROR = SKIP_FILE`. Snowflake's load metadata loads
   * each file once, so files loaded before are not in its result and get no report.
   */
  public async loadStage(source: StagedSource): Promise<FileLoadReport[]> {
    const { table, bucket, location } = source;
    if (!location.endsWith('/')) return [await this.loadStagedFile({ table, bucket, key: location })];
    const stage = this.requireStage(this.options.sourceStage, 'sourceStage', 'load staged files');
    if (bucket !== stage.bucket || !location.startsWith(stage.prefix)) {
      throw new WarehouseError(`Stage s3://${bucket}/${location} is outside stage ${stage.name}.`);
    }
    const path = location.slice(stage.prefix.length);
    const { rows, queryId } = await this.query(
      `COPY INTO ${dialectIdentifier(table.name, 'snowflake')} FROM @${dialectIdentifier(stage.name.toLowerCase(), 'snowflake')}` +
        `${path ? `/${path}` : ''} PATTERN = ${STAGED_FILES_PATTERN} FILE_FORMAT = ${LOAD_BY_NAME_FILE_FORMAT} ` +
        'MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE ON_ERROR = SKIP_FILE',
    );
    const results = rows.filter((r) => 'ROWS_LOADED' in r || 'rows_loaded' in r);
    const keyOf = (reported: string) => {
      // Snowflake names each file by its URL (`s3://bucket/key`); a bare name is relative to the stage.
      const url = `s3://${stage.bucket}/`;
      if (reported.startsWith(url)) return reported.slice(url.length);
      return reported.startsWith(stage.prefix) ? reported : `${stage.prefix}${reported}`;
    };
    const reports = await this.reportsOf(table, results, queryId, (r) => keyOf(r));
    return reports.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  }

  /**
   * Per-file reports from COPY's result rows; a rejected file's problems come from VALIDATE (its
   * rows for that file), else from the COPY row's first error.
   */
  private async reportsOf(
    table: TableSpec,
    results: readonly Record<string, unknown>[],
    queryId: string,
    keyOf: (reported: string) => string,
  ): Promise<FileLoadReport[]> {
    const quoted = dialectIdentifier(table.name, 'snowflake');
    let validation: Record<string, unknown>[] | undefined;
    const reports: FileLoadReport[] = [];
    for (const result of results) {
      const field = (name: string) => result[name.toUpperCase()] ?? result[name];
      const base = { table: table.name, file: keyOf(String(field('file') ?? '')) };
      const status = String(field('status'));
      const rowsLoaded = Number(field('rows_loaded') ?? 0);
      const errorsSeen = Number(field('errors_seen') ?? 0);
      if (status === 'LOADED' && errorsSeen === 0) {
        reports.push({ ...base, status: 'loaded', rowsLoaded, rowsRejected: 0, problems: [] });
        continue;
      }
      validation ??= await this.query(`SELECT * FROM TABLE(VALIDATE(${quoted}, JOB_ID => ${literal(queryId)}))`)
        .then((v) => v.rows)
        .catch(() => []);
      const forFile = validation.filter(
        (r) => r.FILE === undefined || r.FILE === null || results.length === 1 || keyOf(String(r.FILE)) === base.file,
      );
      const problems: StagedFileProblem[] = forFile.slice(0, MAX_REPORTED_PROBLEMS).map((r) => ({
        line: r.LINE === undefined || r.LINE === null ? null : Number(r.LINE),
        column: r.COLUMN_NAME === undefined || r.COLUMN_NAME === null ? null : String(r.COLUMN_NAME),
        message: String(r.ERROR ?? ''),
      }));
      if (problems.length === 0 && field('first_error')) {
        problems.push({
          line: field('first_error_line') === null ? null : Number(field('first_error_line')),
          column: (field('first_error_column_name') as string | null) ?? null,
          message: String(field('first_error')),
        });
      }
      reports.push({ ...base, status: 'rejected', rowsLoaded: 0, rowsRejected: errorsSeen, problems });
    }
    return reports;
  }

  public async countRows(table: TableName): Promise<number | undefined> {
    try {
      const { rows } = await this.query(`SELECT COUNT(*) AS N FROM ${dialectIdentifier(table, 'snowflake')}`);
      return Number(rows[0]?.N ?? 0);
    } catch (error) {
      if (error instanceof WarehouseError && error.sqlState === '42S02') return undefined;
      throw error;
    }
  }

  /** `INFORMATION_SCHEMA.COLUMNS` of the configured schema, and `SHOW PRIMARY KEYS IN SCHEMA`. */
  public async describeTables(): Promise<SourceTable[]> {
    const sql = snowflakeInformationSchemaSql(this.options.database, this.options.schema);
    const columns = await this.query(sql.columns.sql, sql.columns.binds);
    const keys = await this.query(sql.primaryKeys);
    return sourceTablesFrom(columns.rows, keys.rows);
  }

  public async close(): Promise<void> {
    await new Promise<void>((resolve) => this.connection.destroy(() => resolve()));
  }

  private requireStage(stage: SnowflakeStage | undefined, option: string, action: string): SnowflakeStage {
    if (!stage) throw new WarehouseError(`The Snowflake warehouse needs the ${option} option to ${action}.`);
    return stage;
  }
}
