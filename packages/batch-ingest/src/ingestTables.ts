import type { TableName } from '@insightflow/shared-config';
import {
  type IngestDependencies,
  type IngestTableRequest,
  ingestTable,
  type TableIngestResult,
} from './ingestTable.js';

/** The outcome of ingesting several tables of one run. */
export interface RunIngestResult {
  runAt: string;
  tables: Record<string, TableIngestResult & { rejected: 0 }>;
  failures: { table: TableName; error: Error }[];
  rows: number;
  rejected: 0;
}

/**
 * Ingests each table of one run in turn, all with the same run time. A failing table is
 * recorded and the others go on; the caller decides how to report failures.
 */
export async function ingestTables(
  deps: IngestDependencies,
  tables: readonly TableName[],
  request: Omit<IngestTableRequest, 'table'>,
  onTable?: (result: TableIngestResult) => void,
): Promise<RunIngestResult> {
  const result: RunIngestResult = {
    runAt: request.runAt.toISOString(),
    tables: {},
    failures: [],
    rows: 0,
    rejected: 0,
  };
  for (const table of tables) {
    try {
      const outcome = await ingestTable(deps, { ...request, table });
      result.tables[table] = { ...outcome, rejected: 0 };
      if (outcome.status === 'committed') result.rows += outcome.rows;
      onTable?.(outcome);
    } catch (error) {
      result.failures.push({ table, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }
  return result;
}
