import { S3Client } from '@aws-sdk/client-s3';
import { type LocalServices, withLocalServices } from '@insightflow/local-services';
import { connectPostgresUrl } from '@insightflow/postgres-destination';
import { DEFAULT_STAGE_PREFIX, redactUrl, s3ClientOptions } from '@insightflow/shared-config';
import { openWarehouse, type Warehouse } from '@insightflow/warehouse';
import type pg from 'pg';
import type { CliContext } from './cliContext.js';
import { atEdges, type Edge, EdgeService, explainEdgeFailure, hostAndPort } from './edgeErrors.js';

/** Where a command's data goes: local services, real ones, or a mix chosen by configuration. */
export interface Endpoints {
  /** The S3 endpoint, or undefined for AWS's own. */
  s3Endpoint: string | undefined;
  databaseUrl: string | undefined;
  warehousePath: string;
  local: LocalServices | undefined;
  s3: S3Client;
}

function endpointsFrom(context: CliContext, local: LocalServices | undefined): Endpoints {
  const { config } = context;
  const s3Endpoint = config.S3_ENDPOINT ?? local?.s3Endpoint;
  const usesLocalS3 = local !== undefined && s3Endpoint === local.s3Endpoint;
  return {
    s3Endpoint,
    databaseUrl: config.DATABASE_URL ?? local?.databaseUrl,
    warehousePath: local?.warehousePath ?? context.home.warehouseFile,
    local,
    s3: new S3Client({
      ...s3ClientOptions({ AWS_REGION: config.AWS_REGION, S3_ENDPOINT: s3Endpoint }),
      ...(usesLocalS3 ? { credentials: local.s3Credentials } : {}),
      // Only the connection: a request's idle time is the consumer's backpressure, not a fault.
      requestHandler: { connectionTimeout: config.INSIGHTFLOW_CONNECT_TIMEOUT_MS },
    }),
  };
}

const LOCAL_SOURCE = 'the local services';

/** The PostgreSQL edge: where, and which variable said so. */
export function postgresEdge(context: CliContext, databaseUrl: string | undefined): Edge {
  const fromVariable = context.config.DATABASE_URL !== undefined;
  return {
    service: EdgeService.postgres,
    endpoint: databaseUrl ? redactUrl(databaseUrl) : '(none)',
    source: fromVariable ? 'DATABASE_URL' : LOCAL_SOURCE,
    local: !fromVariable,
    ...(databaseUrl ? hostAndPort(databaseUrl) : {}),
    timeoutMs: context.config.INSIGHTFLOW_CONNECT_TIMEOUT_MS,
  };
}

/** The S3 edge, with the variable behind each bucket name. */
export function s3Edge(context: CliContext, s3Endpoint: string | undefined): Edge {
  const { config } = context;
  const fromVariable = config.S3_ENDPOINT !== undefined;
  return {
    service: EdgeService.s3,
    endpoint: s3Endpoint ? redactUrl(s3Endpoint) : `AWS S3 (${config.AWS_REGION})`,
    source: fromVariable ? 'S3_ENDPOINT' : s3Endpoint ? LOCAL_SOURCE : 'AWS_REGION',
    local: !fromVariable && s3Endpoint !== undefined,
    ...(s3Endpoint ? hostAndPort(s3Endpoint) : {}),
    buckets: {
      [config.RAW_BUCKET]: 'RAW_BUCKET',
      [config.STAGE_BUCKET]: 'STAGE_BUCKET',
      [config.CLEAN_BUCKET]: 'CLEAN_BUCKET',
    },
    timeoutMs: config.INSIGHTFLOW_CONNECT_TIMEOUT_MS,
  };
}

/** The warehouse edge: the DuckDB file (under --home) or the Snowflake account. */
export function warehouseEdge(context: CliContext, warehousePath: string): Edge {
  const { config } = context;
  if (config.WAREHOUSE === 'duckdb') {
    return {
      service: EdgeService.warehouse,
      endpoint: `DuckDB file ${warehousePath}`,
      source: '--home / INSIGHTFLOW_HOME',
      local: true,
      flavour: 'duckdb',
    };
  }
  const url = config.SNOWFLAKE_ACCESS_URL ?? `https://${config.SNOWFLAKE_ACCOUNT}.snowflakecomputing.com`;
  return {
    service: EdgeService.warehouse,
    endpoint: `Snowflake ${redactUrl(url)}`,
    source: config.SNOWFLAKE_ACCESS_URL ? 'SNOWFLAKE_ACCESS_URL' : 'SNOWFLAKE_ACCOUNT',
    local: false,
    ...hostAndPort(url),
    flavour: 'snowflake',
    timeoutMs: config.INSIGHTFLOW_CONNECT_TIMEOUT_MS,
  };
}

/** Every service a command may reach through `endpoints`. */
export function edgesOf(context: CliContext, endpoints: Endpoints): Edge[] {
  return [
    postgresEdge(context, endpoints.databaseUrl),
    s3Edge(context, endpoints.s3Endpoint),
    warehouseEdge(context, endpoints.warehousePath),
  ];
}

/**
 * Connects to the configured PostgreSQL within INSIGHTFLOW_CONNECT_TIMEOUT_MS; a failure names
 * the endpoint, the variable and the next step.
 */
export async function connectDatabase(context: CliContext, endpoints: Endpoints): Promise<pg.Client> {
  const url = endpoints.databaseUrl;
  if (!url) throw new Error('No database: set DATABASE_URL or use the local services.');
  return atEdges([postgresEdge(context, url)], () =>
    connectPostgresUrl(url, { connectionTimeoutMillis: context.config.INSIGHTFLOW_CONNECT_TIMEOUT_MS }),
  );
}

/** Runs `work`; a failure at one of the endpoints' services leaves as an `EdgeError`. */
async function explaining<T>(context: CliContext, endpoints: Endpoints, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw explainEdgeFailure(error, edgesOf(context, endpoints)) ?? error;
  } finally {
    endpoints.s3.destroy();
  }
}

/**
 * Runs `work` against the configured endpoints. With the local target, the local services are
 * used when `up`, and otherwise started for the duration of the command. A failure to reach or
 * use one of them leaves as an `EdgeError` naming the service, endpoint, variable and next step.
 */
export async function withEndpoints<T>(context: CliContext, work: (endpoints: Endpoints) => Promise<T>): Promise<T> {
  if (context.config.INSIGHTFLOW_TARGET === 'aws') {
    const endpoints = endpointsFrom(context, undefined);
    return explaining(context, endpoints, () => work(endpoints));
  }
  return withLocalServices(context.home, async (local) => {
    const endpoints = endpointsFrom(context, local);
    return explaining(context, endpoints, () => work(endpoints));
  });
}

/**
 * Opens the configured warehouse (the local DuckDB file by default) with its stages. DuckDB's
 * buffer cap is per use: small for streaming reads, larger for loads and unloads.
 */
export function openWarehouseFor(
  context: CliContext,
  endpoints: Endpoints,
  duckdbMemoryLimit: string,
): Promise<Warehouse> {
  return atEdges([warehouseEdge(context, endpoints.warehousePath)], () =>
    openWarehouse(
      { ...context.config, DUCKDB_PATH: endpoints.warehousePath },
      {
        s3: endpoints.s3,
        stages: {
          source: { bucket: context.config.STAGE_BUCKET, prefix: DEFAULT_STAGE_PREFIX },
          raw: { bucket: context.config.RAW_BUCKET, stageName: 'INSIGHTFLOW_RAW_STAGE' },
        },
        duckdbMemoryLimit,
      },
    ),
  );
}
