export { InvalidSyncEventError, ObjectRefusedError, SyncError } from './errors.js';
export { loadCsvObject, loadNdjsonObject, type ObjectLoadResult, type ObjectSource } from './loadObject.js';
export { migrate, migrations, qualified, SYNC_SCHEMA } from './migrations.js';
export { checkRecord } from './rowValidator.js';
export {
  type SyncDependencies,
  type SyncMode,
  type SyncRequest,
  type SyncResult,
  syncLake,
  type TableSyncResult,
} from './syncLake.js';
