export { AthenaCleanEngine, type AthenaCleanEngineOptions } from './adapters/athenaCleanEngine.js';
export {
  attachCleanTables,
  countCleanRows,
  DuckDbCleanEngine,
  type DuckDbCleanEngineOptions,
  hivePartitionSegment,
  removeAbandonedBuilds,
} from './adapters/duckDbCleanEngine.js';
export {
  buildCleanTable,
  buildCleanTables,
  type CleanBuildOutcome,
  type CleanBuildRequest,
  type CleanDependencies,
  type CleanEngine,
  type CleanResult,
  type CleanTableResult,
} from './buildCleanTables.js';
export {
  type CleanColumn,
  CleanDialect,
  type CleanTableDefinition,
  castExpression,
  cleanSchema,
  cleanTableDefinition,
  RAW_BATCH,
  RAW_INPUTS,
  RAW_STREAM,
  type RawRelations,
  renderCleanSelect,
  renderDistinctKeysSelect,
  renderRejectsSelect,
  renderStagedRejectsSelect,
  renderTypedStage,
} from './cleanDefinition.js';
export {
  type BatchInput,
  hasNoInputs,
  inputFingerprint,
  inputList,
  type StreamInput,
  type TableInputs,
  tableInputs,
} from './cleanInputs.js';
export { CleanStore, type PointerProblem } from './cleanStore.js';
export {
  AthenaQueryError,
  CleanBuildError,
  CleanLayerError,
  CleanTablesFailedError,
  InvalidCleanEventError,
} from './errors.js';
