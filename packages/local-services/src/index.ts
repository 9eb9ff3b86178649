export { LocalServiceError } from './errors.js';
export { type HomeLayout, resolveHomeLayout } from './homeLayout.js';
export { LOCAL_DATABASE, localDatabaseUrl } from './postgresCredentials.js';
export {
  findRunningServices,
  type LocalServices,
  startServices,
  stopServices,
  withLocalServices,
} from './serviceManager.js';
export { isProcessAlive, LOCAL_S3_CREDENTIALS, type ServiceState, ServiceStateSchema } from './serviceState.js';
