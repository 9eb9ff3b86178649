export { connectPostgres, type PostgresConnectionConfig } from './connectPostgres.js';
export { CopyRefusedError, DestinationError, ObjectRefusedError } from './errors.js';
export {
  type LoadTarget,
  loadCsvObject,
  loadNdjsonObject,
  type ObjectLoadResult,
  type ObjectSource,
} from './loadObject.js';
export {
  copyColumns,
  type Migration,
  migrate,
  migrations,
  PROVENANCE_COLUMNS,
  qualified,
  SYNC_SCHEMA,
} from './migrations.js';
export { PostgresDestination } from './postgresDestination.js';
export { type CsvField, checkRecord, type RowCheck } from './rowValidator.js';
export {
  emptyOutcome,
  objectIdentity,
  type SnapshotToLoad,
  type StreamObjectToLoad,
  type SyncDestination,
  type SyncState,
  type UnitOutcome,
} from './syncDestination.js';
