import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

/**
 * A local HTTP server that speaks the part of Snowflake's REST protocol snowflake-sdk uses —
 * login, query requests with JSON rowsets, result chunks downloaded by URL, error bodies,
 * session close, telemetry — with DuckDB behind it, so the real SDK streams real rows.
 *
 * Statements DuckDB cannot run (a COPY INTO a Snowflake stage, say) can be given canned answers
 * with {@link SnowflakeTestServer.answer}; tests that rely on one must say so in their name.
 */

/** A canned result for statements matching a pattern. */
export interface CannedResult {
  columns: { name: string; type: 'fixed' | 'real' | 'text' }[];
  rows: (string | null)[][];
}

/** A canned failure, as Snowflake reports it. */
export interface CannedError {
  code: string;
  sqlState: string;
  message: string;
}

/** What the server saw. */
export interface ServerLog {
  logins: { authenticator: string | undefined; user: string | undefined; hasToken: boolean; hasPassword: boolean }[];
  statements: string[];
  /** The bind values sent with each statement (same index as `statements`; empty when none). */
  binds: (string | null)[][];
  chunkDownloads: number;
  sessionsClosed: number;
}

/** A running test server. */
export interface SnowflakeTestServer {
  /** `http://127.0.0.1:PORT`, for snowflake-sdk's `accessUrl`. */
  accessUrl: string;
  log: ServerLog;
  /** The DuckDB connection behind the server, to set up data. */
  duckdb: DuckDBConnection;
  /**
   * Answers statements matching `pattern` with a canned result or error instead of DuckDB;
   * `effect` runs first, for what Snowflake would have done (an unload writing its files).
   */
  answer(pattern: RegExp, result: CannedResult | CannedError, effect?: () => Promise<void>): void;
  stop(): Promise<void>;
}

/** Rows returned inline with the query response; the rest go into chunks. */
const INLINE_ROWS = 1000;
const ROWS_PER_CHUNK = 25_000;

type SnowflakeType = 'fixed' | 'real' | 'text' | 'boolean';

function snowflakeType(duckdbType: string): SnowflakeType {
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/.test(duckdbType))
    return 'fixed';
  if (/^(FLOAT|DOUBLE|REAL|DECIMAL)/.test(duckdbType)) return 'real';
  if (duckdbType === 'BOOLEAN') return 'boolean';
  return 'text';
}

function rowtypeOf(columns: { name: string; type: SnowflakeType }[]) {
  return columns.map((c) => ({
    name: c.name,
    database: 'INSIGHTFLOW',
    schema: 'RAW',
    table: '',
    type: c.type,
    nullable: true,
    scale: c.type === 'fixed' ? 0 : null,
    precision: c.type === 'fixed' ? 38 : null,
    length: c.type === 'text' ? 16_777_216 : null,
    byteLength: c.type === 'text' ? 16_777_216 : null,
    collation: null,
  }));
}

/** Snowflake's codes for the DuckDB failures tests provoke. */
function snowflakeErrorFor(message: string): CannedError {
  if (/Catalog Error: Table .* does not exist/.test(message)) {
    return { code: '002003', sqlState: '42S02', message: `SQL compilation error:\n${message}` };
  }
  if (/Parser Error/.test(message)) {
    return { code: '001003', sqlState: '42000', message: `SQL compilation error:\n${message}` };
  }
  return { code: '100038', sqlState: '22018', message };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

function sendJson(response: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** Snowflake's datetime format elements InsightFlow's export query uses → DuckDB's strftime. */
const DATETIME_ELEMENTS: readonly [RegExp, string][] = [
  [/"T"/g, 'T'],
  [/YYYY/g, '%Y'],
  [/MM/g, '%m'],
  [/DD/g, '%d'],
  [/HH24/g, '%H'],
  [/MI/g, '%M'],
  [/SS/g, '%S'],
  [/FF6/g, '%f'],
  [/TZH:TZM/g, '%z'],
];

/**
 * Rewrites the Snowflake functions of InsightFlow's export query (`TO_VARCHAR(col[, format])`,
 * `TO_JSON(col)`) into DuckDB's, so the real SDK streams what Snowflake would render. Only the
 * forms the export query writes (a bare column argument) are rewritten.
 */
export function snowflakeFunctionsToDuckDb(sql: string): string {
  return sql
    .replace(/TO_VARCHAR\(([A-Za-z_][A-Za-z0-9_]*), 'HEX'\)/g, 'hex($1)')
    .replace(/TO_VARCHAR\(([A-Za-z_][A-Za-z0-9_]*), '([^']*)'\)/g, (_, column: string, format: string) => {
      const translated = DATETIME_ELEMENTS.reduce((f, [element, directive]) => f.replace(element, directive), format);
      return `strftime(${column}, '${translated}')`;
    })
    .replace(/TO_(?:VARCHAR|JSON)\(([A-Za-z_][A-Za-z0-9_]*)\)/g, 'CAST($1 AS VARCHAR)');
}

/** Starts the server on a free loopback port, over a fresh in-memory DuckDB. */
export async function startSnowflakeTestServer(): Promise<SnowflakeTestServer> {
  const instance = await DuckDBInstance.create(':memory:');
  const duckdb = await instance.connect();
  const log: ServerLog = { logins: [], statements: [], binds: [], chunkDownloads: 0, sessionsClosed: 0 };
  const canned: { pattern: RegExp; result: CannedResult | CannedError; effect?: () => Promise<void> }[] = [];
  const chunks = new Map<string, Buffer>();
  let baseUrl = '';

  async function runStatement(sqlText: string, binds: (string | null)[]) {
    const match = canned.find((c) => c.pattern.test(sqlText));
    if (match) {
      await match.effect?.();
      if ('code' in match.result) return { error: match.result };
      return { columns: match.result.columns, rows: match.result.rows };
    }
    try {
      const duckDbSql = snowflakeFunctionsToDuckDb(sqlText);
      // Snowflake's positional `?` binds are DuckDB's too.
      const reader =
        binds.length > 0 ? await duckdb.runAndReadAll(duckDbSql, binds) : await duckdb.runAndReadAll(duckDbSql);
      const columns = reader.columnNames().map((name, i) => ({
        name: name.toUpperCase(),
        type: snowflakeType(reader.columnTypes()[i]?.toString() ?? 'VARCHAR'),
      }));
      const rows = reader.getRowsJS().map((row) => row.map((v) => (v === null ? null : String(v))));
      return { columns, rows };
    } catch (error) {
      return { error: snowflakeErrorFor((error as Error).message) };
    }
  }

  async function queryRequest(request: IncomingMessage, response: ServerResponse) {
    const { sqlText, bindings } = JSON.parse((await readBody(request)).toString('utf8')) as {
      sqlText: string;
      bindings?: Record<string, { type: string; value: string | null }>;
    };
    const binds = Object.entries(bindings ?? {})
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, bind]) => bind.value);
    log.statements.push(sqlText);
    log.binds.push(binds);
    const queryId = randomUUID();
    const result = await runStatement(sqlText, binds);
    if ('error' in result && result.error) {
      sendJson(response, {
        success: false,
        code: result.error.code,
        message: result.error.message,
        data: { sqlState: result.error.sqlState, queryId, errorCode: result.error.code, internalError: false },
      });
      return;
    }
    const { columns, rows } = result as { columns: { name: string; type: SnowflakeType }[]; rows: (string | null)[][] };
    const inline = rows.length > INLINE_ROWS ? [] : rows;
    const rest = rows.length > INLINE_ROWS ? rows : [];
    const chunkList: { url: string; rowCount: number; uncompressedSize: number; compressedSize: number }[] = [];
    for (let start = 0; start < rest.length; start += ROWS_PER_CHUNK) {
      const slice = rest.slice(start, start + ROWS_PER_CHUNK);
      // A chunk body is the rows' JSON arrays joined by commas, without the outer brackets.
      const raw = Buffer.from(slice.map((r) => JSON.stringify(r)).join(','), 'utf8');
      const body = gzipSync(raw);
      const id = `${queryId}-${chunkList.length}`;
      chunks.set(id, body);
      chunkList.push({
        url: `${baseUrl}/chunks/${id}`,
        rowCount: slice.length,
        uncompressedSize: raw.length,
        compressedSize: body.length,
      });
    }
    sendJson(response, {
      success: true,
      code: null,
      message: null,
      data: {
        parameters: [],
        rowtype: rowtypeOf(columns),
        rowset: inline,
        total: rows.length,
        returned: rows.length,
        queryId,
        queryResultFormat: 'json',
        statementTypeId: /^\s*select/i.test(sqlText) ? 4096 : 0x3000,
        ...(chunkList.length > 0 ? { chunks: chunkList, chunkHeaders: {} } : {}),
      },
    });
  }

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const handle = async () => {
      if (request.method === 'POST' && url.pathname === '/session/v1/login-request') {
        const body = JSON.parse((await readBody(request)).toString('utf8')) as {
          data?: { AUTHENTICATOR?: string; LOGIN_NAME?: string; TOKEN?: string; PASSWORD?: string };
        };
        log.logins.push({
          authenticator: body.data?.AUTHENTICATOR,
          user: body.data?.LOGIN_NAME,
          hasToken: Boolean(body.data?.TOKEN),
          hasPassword: Boolean(body.data?.PASSWORD),
        });
        sendJson(response, {
          success: true,
          data: {
            token: randomUUID(),
            masterToken: randomUUID(),
            sessionId: log.logins.length,
            parameters: [],
            sessionInfo: { databaseName: 'INSIGHTFLOW', schemaName: 'RAW', warehouseName: 'WH', roleName: 'LOADER' },
          },
        });
        return;
      }
      if (request.method === 'POST' && url.pathname === '/queries/v1/query-request') {
        await queryRequest(request, response);
        return;
      }
      if (request.method === 'GET' && url.pathname.startsWith('/chunks/')) {
        const body = chunks.get(url.pathname.slice('/chunks/'.length));
        if (!body) {
          response.writeHead(404).end();
          return;
        }
        log.chunkDownloads++;
        response.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'binary/octet-stream' });
        response.end(body);
        return;
      }
      if (request.method === 'POST' && url.pathname === '/session' && url.searchParams.get('delete') === 'true') {
        log.sessionsClosed++;
        sendJson(response, { success: true, data: null });
        return;
      }
      if (request.method === 'POST' && url.pathname === '/telemetry/send') {
        sendJson(response, { success: true, data: null });
        return;
      }
      response.writeHead(404).end();
    };
    handle().catch((error) => {
      response.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    accessUrl: baseUrl,
    log,
    duckdb,
    answer(pattern, result, effect) {
      canned.push({ pattern, result, ...(effect ? { effect } : {}) });
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      duckdb.closeSync();
      instance.closeSync();
    },
  };
}
