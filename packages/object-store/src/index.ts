export { S3ObjectStore } from './adapters/s3ObjectStore.js';
export { ObjectNotFoundError, ObjectStoreError } from './errors.js';
export type { ObjectInfo, ObjectStore } from './objectStore.js';
