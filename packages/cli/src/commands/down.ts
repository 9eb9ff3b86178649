import { stopServices } from '@insightflow/local-services';
import type { CliContext } from '../cliContext.js';
import { ExitCode } from '../exitCodes.js';

/** `insightflow down`: stop the local services; no process is left behind. */
export async function downCommand(context: CliContext): Promise<ExitCode> {
  const stopped = await stopServices(context.home);
  context.result(
    { stopped },
    stopped ? 'Local services stopped.' : `No local services were running for ${context.home.root}.`,
  );
  return ExitCode.ok;
}
