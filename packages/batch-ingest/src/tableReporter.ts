import type { Logger } from '@aws-lambda-powertools/logger';
import type { TableIngestResult } from './ingestTable.js';

/** Reports each ingested table as one log line when it is done (its metrics come from the handler's result). */
export function tableReporter(logger: Logger): (outcome: TableIngestResult) => void {
  return (outcome) => logger.info('table ingested', { ...outcome });
}
