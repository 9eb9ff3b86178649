import { S3Client } from '@aws-sdk/client-s3';
import { type LocalServices, withLocalServices } from '@insightflow/local-services';
import { DEFAULT_STAGE_PREFIX, s3ClientOptions } from '@insightflow/shared-config';
import { openWarehouse, type Warehouse } from '@insightflow/warehouse';
import type { CliContext } from './cliContext.js';

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
    }),
  };
}

/**
 * Runs `work` against the configured endpoints. With the local target, the local services are
 * used when `up`, and otherwise started for the duration of the command.
 */
export async function withEndpoints<T>(context: CliContext, work: (endpoints: Endpoints) => Promise<T>): Promise<T> {
  if (context.config.INSIGHTFLOW_TARGET === 'aws') {
    const endpoints = endpointsFrom(context, undefined);
    try {
      return await work(endpoints);
    } finally {
      endpoints.s3.destroy();
    }
  }
  return withLocalServices(context.home, async (local) => {
    const endpoints = endpointsFrom(context, local);
    try {
      return await work(endpoints);
    } finally {
      endpoints.s3.destroy();
    }
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
  return openWarehouse(
    { ...context.config, DUCKDB_PATH: endpoints.warehousePath },
    {
      s3: endpoints.s3,
      stages: {
        source: { bucket: context.config.STAGE_BUCKET, prefix: DEFAULT_STAGE_PREFIX },
        raw: { bucket: context.config.RAW_BUCKET, stageName: 'INSIGHTFLOW_RAW_STAGE' },
      },
      duckdbMemoryLimit,
    },
  );
}
