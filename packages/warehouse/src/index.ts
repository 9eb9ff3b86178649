export { DuckDbWarehouse, type DuckDbWarehouseOptions } from './adapters/duckDbWarehouse.js';
// Types only: the Snowflake adapter (and snowflake-sdk) loads when `openWarehouse()` opens it, so
// a Lambda bundle imports the SDK at its first invocation, not at import. Tests reach the class
// through its module.
export type { SnowflakeCredentials, SnowflakeStage, SnowflakeWarehouseOptions } from './adapters/snowflakeWarehouse.js';
export {
  CATALOG_NAME_PATTERN,
  type CatalogColumn,
  type CatalogColumnType,
  type CatalogDocument,
  type CatalogTable,
  PLAIN_CATALOG_TYPES,
} from './catalogDocument.js';
export { describeCatalogTableChange } from './catalogTableChanges.js';
export {
  type DiscoverOptions,
  type DiscoveryProblem,
  type DiscoveryResult,
  describeProblem,
  discoverCatalog,
  discoverCatalogFromWarehouse,
} from './discoverCatalog.js';
export { kindForSqlState, WarehouseError } from './errors.js';
export { exportColumnSql, exportLinesSql, exportQuerySql } from './exportColumns.js';
export { openWarehouse, SnowflakeSecretSchema, type WarehouseConfig, type WarehouseStages } from './openWarehouse.js';
export { DUCKDB_TYPE_MAP, mapSourceType, SNOWFLAKE_TYPE_MAP, type TypeMapping } from './sourceTypes.js';
export {
  type CatalogTableChange,
  type FileLoadReport,
  MAX_REPORTED_PROBLEMS,
  type SourceColumn,
  type SourceTable,
  STAGED_FILE_PATTERN,
  type StagedFile,
  type StagedFileProblem,
  type StagedSource,
  type UnloadedFile,
  type UnloadRequest,
  type Warehouse,
  type WarehouseRow,
} from './warehouse.js';
