import type { S3Client } from '@aws-sdk/client-s3';
import { LOCAL_DEFAULTS } from '@insightflow/shared-config';
import { z } from 'zod';
import type { SnowflakeCredentials } from './adapters/snowflakeWarehouse.js';
import { WarehouseError } from './errors.js';
import type { Warehouse } from './warehouse.js';

/** The configuration fields that choose and reach a warehouse (a subset of the runtimes' configs). */
export interface WarehouseConfig {
  AWS_REGION: string;
  WAREHOUSE: 'duckdb' | 'snowflake';
  DUCKDB_PATH?: string | undefined;
  SNOWFLAKE_ACCOUNT?: string | undefined;
  SNOWFLAKE_USER?: string | undefined;
  SNOWFLAKE_ROLE?: string | undefined;
  SNOWFLAKE_WAREHOUSE?: string | undefined;
  SNOWFLAKE_DATABASE: string;
  SNOWFLAKE_SCHEMA: string;
  SNOWFLAKE_SECRET_ARN?: string | undefined;
  SNOWFLAKE_ACCESS_URL?: string | undefined;
  SNOWFLAKE_STORAGE_INTEGRATION?: string | undefined;
}

/** Where the stages point, for loads (stage bucket) and unloads (raw bucket). */
export interface WarehouseStages {
  source?: { bucket: string; prefix: string };
  raw?: { bucket: string; stageName: string };
}

/** The Snowflake secret's JSON: a private key (preferred) or a password. */
export const SnowflakeSecretSchema = z.union([
  z.object({ privateKey: z.string().min(1), privateKeyPass: z.string().optional() }),
  z.object({ password: z.string().min(1) }),
]);

async function readSnowflakeCredentials(arn: string, region: string): Promise<SnowflakeCredentials> {
  // Only the Snowflake path reads a secret: its client loads with it.
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({ region });
  try {
    const secret = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    const parsed = SnowflakeSecretSchema.safeParse(JSON.parse(secret.SecretString ?? '{}'));
    if (!parsed.success) {
      throw new WarehouseError(
        `Secret ${arn} does not hold Snowflake credentials: store {"privateKey": "-----BEGIN PRIVATE KEY-----…"} ` +
          '(key-pair authentication) or {"password": "…"}.',
      );
    }
    return parsed.data;
  } finally {
    client.destroy();
  }
}

/**
 * Opens the configured warehouse: DuckDB (the local default) or Snowflake, whose credentials
 * are read from Secrets Manager — never from the environment. Each adapter is imported when
 * first opened: a Lambda bundle loads snowflake-sdk (its largest module) in the setup of its
 * first invocation, not when the runtime imports the handler.
 */
export async function openWarehouse(
  config: WarehouseConfig,
  deps: {
    s3: S3Client;
    stages?: WarehouseStages;
    log?: (message: string) => void;
    /** DuckDB's buffer cap: small for streaming reads (flat memory), larger for loads and unloads. */
    duckdbMemoryLimit?: string;
  },
): Promise<Warehouse> {
  if (config.WAREHOUSE === 'duckdb') {
    const { DuckDbWarehouse } = await import('./adapters/duckDbWarehouse.js');
    return DuckDbWarehouse.open({
      path: config.DUCKDB_PATH ?? `${LOCAL_DEFAULTS.home}/warehouse.duckdb`,
      s3: deps.s3,
      ...(deps.duckdbMemoryLimit ? { memoryLimit: deps.duckdbMemoryLimit } : {}),
    });
  }
  const { SNOWFLAKE_ACCOUNT: account, SNOWFLAKE_USER: user } = config;
  if (!account || !user) throw new WarehouseError('WAREHOUSE=snowflake needs SNOWFLAKE_ACCOUNT and SNOWFLAKE_USER.');
  const credentials = config.SNOWFLAKE_SECRET_ARN
    ? await readSnowflakeCredentials(config.SNOWFLAKE_SECRET_ARN, config.AWS_REGION)
    : // Only the protocol test server is reachable without a secret (the config schema enforces it).
      { password: 'insightflow-local-test-server' };
  const source = deps.stages?.source;
  const raw = deps.stages?.raw;
  const { SnowflakeWarehouse } = await import('./adapters/snowflakeWarehouse.js');
  return SnowflakeWarehouse.connect({
    account,
    user,
    credentials,
    role: config.SNOWFLAKE_ROLE,
    warehouse: config.SNOWFLAKE_WAREHOUSE,
    database: config.SNOWFLAKE_DATABASE,
    schema: config.SNOWFLAKE_SCHEMA,
    accessUrl: config.SNOWFLAKE_ACCESS_URL,
    storageIntegration: config.SNOWFLAKE_STORAGE_INTEGRATION,
    sourceStage: source
      ? { name: 'INSIGHTFLOW_SOURCE_STAGE', bucket: source.bucket, prefix: source.prefix }
      : undefined,
    rawStage: raw ? { name: raw.stageName, bucket: raw.bucket, prefix: '' } : undefined,
    ...(deps.log ? { log: deps.log } : {}),
  });
}
