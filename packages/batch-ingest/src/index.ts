export { BatchIngestError, InvalidIngestEventError, TablesFailedError, TimeBudgetError } from './errors.js';
export {
  exportQuery,
  type IngestDependencies,
  type IngestTableRequest,
  ingestTable,
  type TableIngestResult,
} from './ingestTable.js';
export { ingestTables, type RunIngestResult } from './ingestTables.js';
export { formatCsv, type WriteCsvPartsOptions, writeCsvParts } from './partWriter.js';
