import type { BatchIngestConfigSchema, StreamPublisherConfigSchema } from '@insightflow/shared-config';
import type { SnowflakeConnection } from './config.js';
import type { LambdaEnvironment } from './constructs/nodeLambda.js';

/** Variables every Snowflake-reading Lambda declares: those both such schemas share. */
export type SnowflakeLambdaEnvironment = LambdaEnvironment<
  typeof BatchIngestConfigSchema | typeof StreamPublisherConfigSchema
>;

/**
 * The environment a Snowflake-reading Lambda gets: every connection setting from the stacks'
 * configuration (none made up), and the secret's ARN — never the secret.
 */
export function snowflakeEnvironment(snowflake: SnowflakeConnection, secretArn: string): SnowflakeLambdaEnvironment {
  return {
    WAREHOUSE: 'snowflake',
    SNOWFLAKE_ACCOUNT: snowflake.account,
    SNOWFLAKE_USER: snowflake.user,
    ...(snowflake.role ? { SNOWFLAKE_ROLE: snowflake.role } : {}),
    ...(snowflake.warehouse ? { SNOWFLAKE_WAREHOUSE: snowflake.warehouse } : {}),
    SNOWFLAKE_DATABASE: snowflake.database,
    SNOWFLAKE_SCHEMA: snowflake.schema,
    SNOWFLAKE_STORAGE_INTEGRATION: snowflake.storageIntegration,
    SNOWFLAKE_SECRET_ARN: secretArn,
    // The SDK's optional native addon is not in the bundle.
    SNOWFLAKE_DISABLE_MINICORE: '1',
    // The SDK would otherwise probe, as it loads, which cloud it runs on (an STS call and requests
    // to metadata addresses, up to 200 ms, awaited by its first login) for a telemetry field.
    // The bundles leave the probes out (stacks/build/buildLambda.ts); this covers unbundled runs.
    SNOWFLAKE_DISABLE_PLATFORM_DETECTION: 'true',
  };
}
