export { applyUnit } from './applyUnit.js';
export { InvalidSyncEventError, InvalidSyncRequestError, SyncError } from './errors.js';
export {
  type LakeView,
  oldestPending,
  planSync,
  STREAM_BYTES_PER_ROW,
  type SyncBudget,
  type SyncMode,
  type SyncPlan,
  type WorkUnit,
} from './planSync.js';
export { postgresSync } from './postgresSync.js';
export {
  type SyncDependencies,
  type SyncRequest,
  type SyncResult,
  syncLake,
  type TableSyncResult,
} from './syncLake.js';
export { type StatedSyncRequest, syncRequest } from './syncRequest.js';
export { syncUntilDone } from './syncUntilDone.js';
