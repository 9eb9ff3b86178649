export { BatchIngestError, InvalidIngestEventError, TablesFailedError, TimeBudgetError } from './errors.js';
export {
  AUTO_UNLOAD_ROWS,
  exportQuery,
  type IngestDependencies,
  type IngestMode,
  type IngestTableRequest,
  ingestTable,
  type TableIngestResult,
} from './ingestTable.js';
export { ingestTables, type RunIngestResult } from './ingestTables.js';
export { formatCsv, type WriteCsvPartsOptions, writeCsvParts } from './partWriter.js';
