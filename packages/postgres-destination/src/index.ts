export {
  connectPostgres,
  connectPostgresUrl,
  type PostgresConnectionConfig,
  type PostgresUrlOptions,
} from './connectPostgres.js';
export { CopyRefusedError, DestinationError, ObjectRefusedError, PostgresConnectError } from './errors.js';
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
  rowsOfKind,
  SYNC_SCHEMA,
} from './migrations.js';
export { PostgresDestination } from './postgresDestination.js';
export {
  emptyOutcome,
  objectIdentity,
  type SnapshotToLoad,
  type StreamObjectToLoad,
  type SyncDestination,
  type SyncState,
  type UnitOutcome,
} from './syncDestination.js';
export {
  catalogShape,
  catalogTypeOf,
  createSyncTableSql,
  ensureTable,
  planTable,
  prepareCatalogTables,
  readTableShape,
  runTable,
} from './tableSchema.js';
