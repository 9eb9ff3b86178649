export { connectAsMaster } from './adapters/masterConnection.js';
export { ensureSyncRole, type SyncRoleResult } from './ensureSyncRole.js';
export { DatabaseRolesError, MasterSecretError } from './errors.js';
