import { startServices } from '@insightflow/local-services';
import type { CliContext } from '../cliContext.js';
import { ExitCode } from '../exitCodes.js';

/** `insightflow up`: start the local services in the background and record their endpoints. */
export async function upCommand(context: CliContext): Promise<ExitCode> {
  const { services, alreadyRunning } = await startServices(context.home);
  const { state } = services;
  context.result(
    {
      started: !alreadyRunning,
      home: context.home.root,
      s3: { endpoint: services.s3Endpoint },
      kinesis: { endpoint: services.kinesisEndpoint ?? null },
      postgres: { host: state.postgres.host, port: state.postgres.port, database: state.postgres.database },
      warehouse: { path: services.warehousePath },
      pids: [state.pid, state.s3.pid, ...(state.kinesis ? [state.kinesis.pid] : []), state.postgres.pid],
    },
    [
      alreadyRunning ? 'Local services were already running.' : 'Local services are up.',
      `  S3 API     ${services.s3Endpoint}`,
      `  Kinesis    ${services.kinesisEndpoint ?? '(none: these services predate it; down and up again)'}`,
      `  PostgreSQL ${state.postgres.host}:${state.postgres.port}/${state.postgres.database}`,
      `  DuckDB     ${services.warehousePath}`,
      'Point psql and AWS SDKs at them with: eval "$(npx insightflow env)"',
    ].join('\n'),
  );
  return ExitCode.ok;
}
