export { DuckDbWarehouse, type DuckDbWarehouseOptions } from './adapters/duckDbWarehouse.js';
export type { Warehouse } from './warehouse.js';
