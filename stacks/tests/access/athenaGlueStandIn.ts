/**
 * A stand-in for Amazon Athena and the AWS Glue Data Catalog on loopback (JSON 1.1, both), for
 * the access test: neither has a local server, and the clean-layer handler's own calls should
 * still run for real. Point the SDK at it with `AWS_ENDPOINT_URL_ATHENA` and `AWS_ENDPOINT_URL_GLUE`.
 *
 * Athena: every query succeeds at once; its result set is the canned answer of the first pattern
 * that matches the SQL ({@link AthenaGlueStandIn.answer}; none: no rows), and an answer's side
 * effect does what the real query would leave behind (an UNLOAD's files). Glue: the tables it is
 * given (the synthesised clean tables), GetTable / UpdateTable / CreateTable / DeleteTable /
 * GetDatabase over them; anything else is refused, so a new call is noticed.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A Glue table as the Glue API spells it (`TableInput` plus its database). */
export interface GlueTable {
  DatabaseName: string;
  Name: string;
  [field: string]: unknown;
}

/** A canned Athena result set: column names and rows of text (NULL as `null`). */
export interface CannedResult {
  columns: string[];
  rows: (string | null)[][];
}

/** The stand-in: its endpoint, the queries it ran and the answers it gives. */
export interface AthenaGlueStandIn {
  endpoint: string;
  /** Every query started, in order: its id, SQL, workgroup and database. */
  queries: { id: string; sql: string; workGroup?: string; database?: string }[];
  /** The tables as the stand-in holds them now (after the handler's UpdateTable calls). */
  tables: Map<string, GlueTable>;
  /** Answers queries matching `pattern` with `result`, after running `sideEffect` with the SQL. */
  answer(pattern: RegExp, result: CannedResult, sideEffect?: (sql: string) => Promise<void>): void;
  stop(): Promise<void>;
}

const key = (database: string, table: string) => `${database}.${table}`.toLowerCase();

/** Starts the stand-in holding `tables` and the databases `databases`. */
export async function startAthenaGlueStandIn(options: {
  databases: string[];
  tables: GlueTable[];
  /** The workgroup's result location (`s3://…/`): where each query's output is said to be. */
  outputLocation: string;
}): Promise<AthenaGlueStandIn> {
  const tables = new Map(options.tables.map((t) => [key(t.DatabaseName, t.Name), t]));
  const databases = new Set(options.databases.map((d) => d.toLowerCase()));
  const queries: AthenaGlueStandIn['queries'] = [];
  const answers: { pattern: RegExp; result: CannedResult; sideEffect?: (sql: string) => Promise<void> }[] = [];
  const started = Date.now() / 1000;

  const athena = async (operation: string, body: Record<string, unknown>): Promise<[number, unknown]> => {
    const query = queries.find((q) => q.id === body.QueryExecutionId);
    switch (operation) {
      case 'StartQueryExecution': {
        const sql = String(body.QueryString);
        const id = `access-test-query-${queries.length + 1}`;
        const context = body.QueryExecutionContext as { Database?: string } | undefined;
        queries.push({
          id,
          sql,
          ...(body.WorkGroup ? { workGroup: String(body.WorkGroup) } : {}),
          ...(context?.Database ? { database: context.Database } : {}),
        });
        await answers.find((a) => a.pattern.test(sql))?.sideEffect?.(sql);
        return [200, { QueryExecutionId: id }];
      }
      case 'GetQueryExecution':
        if (!query) return [400, { __type: 'InvalidRequestException', message: `No query ${body.QueryExecutionId}` }];
        return [
          200,
          {
            QueryExecution: {
              QueryExecutionId: query.id,
              Query: query.sql,
              StatementType: /^\s*(CREATE|DROP|ALTER)\b/i.test(query.sql) ? 'DDL' : 'DML',
              ResultConfiguration: { OutputLocation: `${options.outputLocation}${query.id}.csv` },
              QueryExecutionContext: query.database ? { Database: query.database } : {},
              Status: { State: 'SUCCEEDED', SubmissionDateTime: started, CompletionDateTime: started + 1 },
              Statistics: {
                EngineExecutionTimeInMillis: 100,
                DataScannedInBytes: 1024,
                TotalExecutionTimeInMillis: 120,
              },
              WorkGroup: query.workGroup ?? 'primary',
            },
          },
        ];
      case 'GetQueryResults': {
        if (!query) return [400, { __type: 'InvalidRequestException', message: `No query ${body.QueryExecutionId}` }];
        const result = answers.find((a) => a.pattern.test(query.sql))?.result ?? { columns: [], rows: [] };
        const text = (value: string | null) => (value === null ? {} : { VarCharValue: value });
        // A SELECT's first row is its header, as Athena returns it.
        const header = /^\s*(SELECT|WITH)\b/i.test(query.sql) ? [result.columns] : [];
        return [
          200,
          {
            ResultSet: {
              Rows: [...header, ...result.rows].map((row) => ({ Data: row.map(text) })),
              ResultSetMetadata: {
                ColumnInfo: result.columns.map((name) => ({ Name: name, Label: name, Type: 'varchar' })),
              },
            },
            UpdateCount: 0,
          },
        ];
      }
      case 'StopQueryExecution':
        return [200, {}];
      default:
        return [400, { __type: 'InvalidRequestException', message: `The stand-in does not serve Athena ${operation}` }];
    }
  };

  const notFound = (what: string) =>
    [400, { __type: 'EntityNotFoundException', message: `${what} not found` }] as [number, unknown];
  const glue = (operation: string, body: Record<string, unknown>): [number, unknown] => {
    const database = String(body.DatabaseName ?? body.Name ?? '');
    switch (operation) {
      case 'GetDatabase':
        return databases.has(database.toLowerCase()) ? [200, { Database: { Name: database } }] : notFound(database);
      case 'GetTable': {
        const table = tables.get(key(String(body.DatabaseName), String(body.Name)));
        return table ? [200, { Table: table }] : notFound(`${body.DatabaseName}.${body.Name}`);
      }
      case 'CreateTable':
      case 'UpdateTable': {
        const input = body.TableInput as { Name: string };
        const id = key(String(body.DatabaseName), input.Name);
        if (operation === 'UpdateTable' && !tables.has(id)) return notFound(id);
        tables.set(id, { ...input, DatabaseName: String(body.DatabaseName) });
        return [200, {}];
      }
      case 'DeleteTable': {
        const id = key(String(body.DatabaseName), String(body.Name));
        return tables.delete(id) ? [200, {}] : notFound(id);
      }
      default:
        return [400, { __type: 'InvalidInputException', message: `The stand-in does not serve Glue ${operation}` }];
    }
  };

  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const [service, operation = ''] = String(request.headers['x-amz-target'] ?? '').split('.');
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const [status, payload] =
      service === 'AmazonAthena'
        ? await athena(operation, body)
        : service === 'AWSGlue'
          ? glue(operation, body)
          : [400, { __type: 'InvalidAction', message: `Not served here: ${request.headers['x-amz-target']}` }];
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify(payload));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    queries,
    tables,
    answer: (pattern, result, sideEffect) => {
      answers.push({ pattern, result, ...(sideEffect ? { sideEffect } : {}) });
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * A synthesised `aws_glue_catalog_table` (resolved) as Glue's API returns it: what the clean
 * function reads before its UpdateTable.
 */
export function glueTableFromTerraform(resolved: Record<string, unknown>): GlueTable {
  const storage = (resolved.storage_descriptor ?? {}) as Record<string, unknown>;
  const serDe = (storage.ser_de_info ?? {}) as Record<string, unknown>;
  const columns = (list: unknown) =>
    ((list ?? []) as Record<string, unknown>[]).map((c) => ({
      Name: c.name,
      Type: c.type,
      ...(c.comment ? { Comment: c.comment } : {}),
    }));
  return {
    DatabaseName: String(resolved.database_name),
    Name: String(resolved.name),
    ...(resolved.description ? { Description: resolved.description } : {}),
    TableType: resolved.table_type,
    Parameters: resolved.parameters ?? {},
    PartitionKeys: columns(resolved.partition_keys),
    StorageDescriptor: {
      Location: storage.location,
      InputFormat: storage.input_format,
      OutputFormat: storage.output_format,
      SerdeInfo: {
        Name: serDe.name,
        SerializationLibrary: serDe.serialization_library,
        Parameters: serDe.parameters ?? {},
      },
      Columns: columns(storage.columns),
    },
  };
}
