export { DuckDbWarehouse, type DuckDbWarehouseOptions } from './adapters/duckDbWarehouse.js';
export {
  type SnowflakeCredentials,
  type SnowflakeStage,
  SnowflakeWarehouse,
  type SnowflakeWarehouseOptions,
} from './adapters/snowflakeWarehouse.js';
export { kindForSqlState, WarehouseError } from './errors.js';
export { openWarehouse, SnowflakeSecretSchema, type WarehouseConfig, type WarehouseStages } from './openWarehouse.js';
export {
  type FileLoadReport,
  MAX_REPORTED_PROBLEMS,
  type StagedFile,
  type StagedFileProblem,
  type UnloadedFile,
  type UnloadRequest,
  type Warehouse,
  type WarehouseRow,
} from './warehouse.js';
