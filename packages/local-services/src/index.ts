export { LocalServiceError } from './errors.js';
export { type HomeLayout, resolveHomeLayout } from './homeLayout.js';
export { type KinesisServerOptions, type RunningKinesisServer, startKinesisServer } from './kinesisServer.js';
export {
  type KinesisRecordMetadata,
  kinesisCheckpointKey,
} from './kinesisSource.js';
export {
  ensureLocalDataStream,
  LOCAL_KINESIS_CREDENTIALS,
  LOCAL_SHARD_COUNT,
  localKinesisClient,
} from './localDataStreams.js';
export {
  type DeliveryStats,
  type LocalDeliveryStream,
  type LocalDeliveryStreamOptions,
  startLocalDeliveryStream,
  type TransformFunction,
} from './localDeliveryStream.js';
export { LOCAL_DATABASE, localDatabaseUrl } from './postgresCredentials.js';
export { LOCAL_BUCKETS, type RunningS3Server, type S3ServerOptions, startS3Server } from './s3Server.js';
export {
  findRunningServices,
  type LocalServices,
  startAttachedServices,
  startServices,
  stopServices,
  withLocalServices,
} from './serviceManager.js';
export { isProcessAlive, LOCAL_S3_CREDENTIALS, type ServiceState, ServiceStateSchema } from './serviceState.js';
