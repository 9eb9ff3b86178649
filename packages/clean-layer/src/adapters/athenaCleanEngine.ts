import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type Row,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { GetTableCommand, type GlueClient, type TableInput, UpdateTableCommand } from '@aws-sdk/client-glue';
import type { ObjectStore } from '@insightflow/object-store';
import { CLEAN_REJECTS_FILE, ErrorKind } from '@insightflow/shared-config';
import { stringify } from 'csv-stringify/sync';
import type { CleanBuildOutcome, CleanBuildRequest, CleanEngine } from '../buildCleanTables.js';
import {
  CleanDialect,
  type CleanTableDefinition,
  type RawRelations,
  renderCleanSelect,
  renderRejectsSelect,
} from '../cleanDefinition.js';
import type { TableInputs } from '../cleanInputs.js';
import { AthenaQueryError, CleanLayerError } from '../errors.js';

/** Options of the AWS engine. */
export interface AthenaCleanEngineOptions {
  athena: AthenaClient;
  glue: GlueClient;
  /** The clean bucket, for the rejects object (the Parquet is Athena's own UNLOAD). */
  clean: ObjectStore;
  rawBucket: string;
  /** The workgroup every query runs in: it enforces the encrypted result location. */
  workgroup: string;
  /** The Glue database of the declared clean tables. */
  database: string;
  /** The Glue database the build's temporary tables over raw inputs live in. */
  scratchDatabase: string;
  /** How often a running query is polled. */
  pollIntervalMs?: number;
}

/** Rejects copied into `_rejects.csv` (the count is exact; the object keeps the first ones). */
const MAX_REJECTS_KEPT = 10_000;
const RAW_TEXT = 'org.apache.hadoop.hive.serde2.OpenCSVSerde';
const JSON_SERDE = 'org.openx.data.jsonserde.JsonSerDe';
/** The `year=…/month=…/day=…/hhmm=…` of a streamed object's key, as Athena's `date_parse` reads it. */
const ARRIVAL_PATTERN = `'year=(\\d{4})/month=(\\d{2})/day=(\\d{2})/hhmm=(\\d{4})'`;
const arrivalFrom = (key: string) =>
  `date_parse(${[1, 2, 3, 4].map((g) => `regexp_extract(${key}, ${ARRIVAL_PATTERN}, ${g})`).join(' || ')}, '%Y%m%d%H%i')`;

/** Athena's SerDes do not report a record they cannot read, or its line: always NULL here. */
const UNREAD_RECORD =
  'CAST(NULL AS bigint) AS "_line", CAST(NULL AS varchar) AS "_invalid", CAST(NULL AS varchar) AS "_raw"';
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const backquote = (name: string) => `\`${name.replaceAll('`', '')}\``;
/** A SQL string literal; only bucket names, keys and times the lake layout checked are passed here. */
const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** The text of one cell of a result row. */
const cell = (row: Row | undefined, i: number) => row?.Data?.[i]?.VarCharValue;

/**
 * The clean layer's AWS engine: Amazon Athena over the Glue catalog. For each build it declares
 * temporary text tables over the raw inputs in the scratch database (the run's folder as CSV;
 * each stream's prefix as JSON), UNLOADs the clean definition's SELECT as Parquet, partitioned as
 * the catalog says, to the version's prefix, counts rows and rejects, and drops the temporary
 * tables. The publish moves the declared Glue table to the new version with one UpdateTable.
 *
 * Athena's CSV reader cannot tell an unquoted empty field from `""`, so on AWS an empty text
 * value reads as NULL; and it does not read line breaks inside quoted values.
 */
export class AthenaCleanEngine implements CleanEngine {
  public readonly name = 'Athena';

  public constructor(private readonly options: AthenaCleanEngineOptions) {}

  /** Runs one query to completion in the workgroup; returns its id. */
  private async query(sql: string): Promise<string> {
    const { athena, workgroup, scratchDatabase } = this.options;
    const started = await athena.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: workgroup,
        QueryExecutionContext: { Database: scratchDatabase },
      }),
    );
    const id = started.QueryExecutionId as string;
    for (;;) {
      const { QueryExecution: execution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const state = execution?.Status?.State;
      if (state === 'SUCCEEDED') return id;
      if (state === 'FAILED' || state === 'CANCELLED') {
        const error = execution?.Status?.AthenaError;
        throw new AthenaQueryError(
          id,
          state,
          execution?.Status?.StateChangeReason ?? 'no reason given',
          sql,
          error?.Retryable ? ErrorKind.retryable : ErrorKind.terminal,
        );
      }
      await sleep(this.options.pollIntervalMs ?? 1000);
    }
  }

  /** Every row of a finished query's result, its header row left out. */
  private async *results(id: string): AsyncGenerator<Row> {
    let token: string | undefined;
    let first = true;
    do {
      const page = await this.options.athena.send(
        new GetQueryResultsCommand({ QueryExecutionId: id, ...(token ? { NextToken: token } : {}) }),
      );
      const rows = page.ResultSet?.Rows ?? [];
      yield* first ? rows.slice(1) : rows;
      first = false;
      token = page.NextToken;
    } while (token);
  }

  /** The raw relations as WITH clauses over the scratch tables, and those tables' DDL. */
  private rawRelations(definition: CleanTableDefinition, inputs: TableInputs, version: string) {
    const { rawBucket, scratchDatabase } = this.options;
    const id = `${definition.table}_${version.toLowerCase()}`;
    const creates: string[] = [];
    const drops: string[] = [];
    const text = (c: string, columns: readonly string[]) =>
      columns.includes(c) ? `NULLIF(${quote(c)}, '')` : `CAST(NULL AS varchar)`;
    const scratch = (name: string) => `${backquote(scratchDatabase)}.${backquote(name)}`;

    // `_input` sorts in load order: '0' + the batch part's path, then '1' + the streamed object's.
    let batch = `SELECT ${definition.columns.map((c) => `CAST(NULL AS varchar) AS ${quote(c.name)}`).join(', ')}, CAST(NULL AS varchar) AS "_input", ${UNREAD_RECORD} WHERE false`;
    let runAt = 'CAST(NULL AS timestamp)';
    if (inputs.batch) {
      const name = `${id}_batch`;
      const columns = inputs.batch.columns;
      creates.push(
        `CREATE EXTERNAL TABLE ${scratch(name)} (${columns.map((c) => `${backquote(c)} string`).join(', ')})
ROW FORMAT SERDE '${RAW_TEXT}' WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '"', 'escapeChar' = '\\\\')
LOCATION ${literal(`s3://${rawBucket}/${inputs.batch.folder}`)}
TBLPROPERTIES ('skip.header.line.count' = '1')`,
      );
      drops.push(`DROP TABLE IF EXISTS ${scratch(name)}`);
      const at = inputs.batch.runAt.toISOString().replace('T', ' ').replace('Z', '');
      runAt = `TIMESTAMP ${literal(at)}`;
      batch = `SELECT ${definition.columns.map((c) => `${text(c.name, columns)} AS ${quote(c.name)}`).join(', ')}, '0' || "$path" AS "_input", ${UNREAD_RECORD} FROM ${quote(scratchDatabase)}.${quote(name)}`;
    }
    const streams = [...new Set(inputs.stream.map((o) => o.stream))];
    const streamSelects = streams.map((stream) => {
      const name = `${id}_stream_${stream}`;
      const folder = inputs.stream
        .find((o) => o.stream === stream)
        ?.key.split('/')
        .slice(0, 3)
        .join('/');
      creates.push(
        `CREATE EXTERNAL TABLE ${scratch(name)} (${definition.columns.map((c) => `${backquote(c.name)} string`).join(', ')})
ROW FORMAT SERDE '${JSON_SERDE}'
LOCATION ${literal(`s3://${rawBucket}/${folder}/`)}`,
      );
      drops.push(`DROP TABLE IF EXISTS ${scratch(name)}`);
      return `SELECT ${definition.columns.map((c) => quote(c.name)).join(', ')}, '1' || "$path" AS "_input", ${UNREAD_RECORD} FROM ${quote(scratchDatabase)}.${quote(name)}`;
    });
    const key = `substr("_input", ${`0s3://${rawBucket}/`.length + 1})`;
    const stream = streamSelects.length > 0 ? `(${streamSelects.join(' UNION ALL ')})` : undefined;
    const objects = `(SELECT "_input" FROM (${batch}) AS b${stream ? ` UNION ALL SELECT "_input" FROM ${stream} AS s` : ''})`;
    const inputsOf = `(SELECT DISTINCT "_input", CASE WHEN substr("_input", 1, 1) = '0' THEN 'batch' ELSE 'streaming' END AS "_source", ${key} AS "_source_key", CASE WHEN substr("_input", 1, 1) = '0' THEN ${runAt} ELSE ${arrivalFrom(key)} END AS "_source_at" FROM ${objects} AS objects)`;
    // UNLOAD takes one query: the raw relations are derived tables, not a WITH clause.
    const relations: RawRelations = {
      stream: stream !== undefined,
      inline: { batch: `(${batch})`, ...(stream ? { stream } : {}), inputs: inputsOf },
    };
    return { creates, drops, relations };
  }

  public async build(request: CleanBuildRequest): Promise<CleanBuildOutcome> {
    const { definition, inputs, version, prefix } = request;
    const { creates, drops, relations: raw } = this.rawRelations(definition, inputs, version);
    try {
      for (const create of creates) await this.query(create);
      const select = renderCleanSelect(definition, CleanDialect.athena, raw);
      const partitions =
        definition.partitionBy.length > 0
          ? `, partitioned_by = ARRAY[${definition.partitionBy.map(literal).join(', ')}]`
          : '';
      await this.query(
        `UNLOAD (${select}) TO ${literal(`s3://${this.options.clean.bucket}/${prefix}`)} WITH (format = 'PARQUET', compression = 'SNAPPY'${partitions})`,
      );
      const rejects = renderRejectsSelect(definition, CleanDialect.athena, raw);
      const counted = await this.query(
        `SELECT (SELECT count(*) FROM (${select}) AS clean) AS "rows", (SELECT count(*) FROM (${rejects}) AS rejected) AS "rejects"`,
      );
      const [row] = await fromAsync(this.results(counted));
      const rows = Number(cell(row, 0));
      const rejected = Number(cell(row, 1));
      if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(rejected)) {
        throw new CleanLayerError(
          `Athena query ${counted} counting the clean table ${definition.table} returned no counts`,
          {
            kind: ErrorKind.retryable,
          },
        );
      }
      if (rejected > 0) await this.keepRejects(rejects, prefix);
      return { rows, rejects: rejected };
    } finally {
      for (const drop of drops) await this.query(drop);
    }
  }

  /** Writes the first rejects as `_rejects.csv` beside the version (Athena skips `_` files when it reads the table). */
  private async keepRejects(rejects: string, prefix: string) {
    const id = await this.query(`SELECT * FROM (${rejects}) AS rejected LIMIT ${MAX_REJECTS_KEPT}`);
    const lines: (string | undefined)[][] = [['object_key', 'line', 'column_name', 'raw_value', 'reason']];
    for await (const row of this.results(id)) lines.push([0, 1, 2, 3, 4].map((i) => cell(row, i)));
    await this.options.clean.put(`${prefix}${CLEAN_REJECTS_FILE}`, stringify(lines), 'text/csv');
  }

  /**
   * Moves the declared table to the new version: its location and, when partitioned, its
   * projection's location template, in one UpdateTable. Athena readers switch at once.
   */
  public async publish(definition: CleanTableDefinition, _version: string, prefix: string): Promise<void> {
    const { glue, database, clean } = this.options;
    const { Table: table } = await glue.send(new GetTableCommand({ DatabaseName: database, Name: definition.table }));
    if (!table?.StorageDescriptor) {
      throw new CleanLayerError(
        `The Glue table ${database}.${definition.table} has no storage descriptor: deploy the clean-layer stack, which declares it.`,
      );
    }
    const location = `s3://${clean.bucket}/${prefix}`;
    const parameters = { ...(table.Parameters ?? {}) };
    if (definition.partitionBy.length > 0) {
      parameters['storage.location.template'] =
        `${location}${definition.partitionBy.map((c) => `${c}=\${${c}}`).join('/')}/`;
    }
    const input: TableInput = {
      Name: table.Name,
      ...(table.Description ? { Description: table.Description } : {}),
      ...(table.TableType ? { TableType: table.TableType } : {}),
      Parameters: parameters,
      ...(table.PartitionKeys ? { PartitionKeys: table.PartitionKeys } : {}),
      StorageDescriptor: { ...table.StorageDescriptor, Location: location },
    };
    await glue.send(new UpdateTableCommand({ DatabaseName: database, TableInput: input }));
  }
}

/** `Array.fromAsync` (Node 22): collects an async iterable. */
async function fromAsync<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
