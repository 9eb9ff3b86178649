import { findRunningServices, LocalServiceError } from '@insightflow/local-services';
import type { CliContext } from '../cliContext.js';
import { ExitCode } from '../exitCodes.js';

/** Quotes a value for POSIX shells. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * `insightflow env`: `export` lines that point psql and any AWS SDK at the running local
 * services. Meant for `eval "$(npx insightflow env)"`.
 */
export async function envCommand(context: CliContext): Promise<ExitCode> {
  const services = await findRunningServices(context.home);
  if (!services) {
    throw new LocalServiceError(
      `No local services are running for ${context.home.root}. Start them with \`npx insightflow up\`, then run \`eval "$(npx insightflow env)"\`.`,
    );
  }
  const { config } = context;
  const variables: Record<string, string> = {
    DATABASE_URL: services.databaseUrl,
    S3_ENDPOINT: services.s3Endpoint,
    // The publisher's local Kinesis endpoint (INSIGHTFLOW_STREAM_SOURCE=kinesis); it accepts the same credentials.
    ...(services.kinesisEndpoint ? { KINESIS_ENDPOINT: services.kinesisEndpoint } : {}),
    AWS_ACCESS_KEY_ID: services.s3Credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: services.s3Credentials.secretAccessKey,
    AWS_REGION: config.AWS_REGION,
    RAW_BUCKET: config.RAW_BUCKET,
    CLEAN_BUCKET: config.CLEAN_BUCKET,
    STAGE_BUCKET: config.STAGE_BUCKET,
    DUCKDB_PATH: services.warehousePath,
    INSIGHTFLOW_HOME: context.home.root,
  };
  context.result(
    variables,
    Object.entries(variables)
      .map(([name, value]) => `export ${name}=${shellQuote(value)}`)
      .join('\n'),
  );
  return ExitCode.ok;
}
