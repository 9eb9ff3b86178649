export {
  aisleRows,
  departmentRows,
  type GenerationPlan,
  GenerationPlanError,
  orderProductRows,
  orderRows,
  planGeneration,
  productRows,
  type Row,
  tableRows,
} from './instacartModel.js';
export {
  INSTACART_TABLE_NAMES,
  INSTACART_TABLES,
  type InstacartTableName,
  isInstacartTable,
} from './instacartTables.js';
export {
  GENERATION_RECORD,
  type StagedTableReport,
  type WriteStagedTablesOptions,
  writeStagedTables,
} from './writeStagedTables.js';
