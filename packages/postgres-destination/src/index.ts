export {
  connectPostgres,
  connectPostgresUrl,
  type PostgresConnectionConfig,
  type PostgresUrlOptions,
} from './connectPostgres.js';
export { CopyRefusedError, DestinationError, PostgresConnectError } from './errors.js';
export { type LoadTarget, loadCsvObject, loadNdjsonObject, type ObjectSource } from './loadObject.js';
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
  catalogShape,
  catalogTypeOf,
  createSyncTableSql,
  ensureTable,
  planTable,
  prepareCatalogTables,
  readTableShape,
  runTable,
} from './tableSchema.js';
