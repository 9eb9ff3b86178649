export { writeTestRun } from './lakeRuns.js';
export { type SecretsManagerStandIn, startSecretsManagerStandIn } from './secretsManagerStandIn.js';
export {
  type CannedError,
  type CannedResult,
  type ServerLog,
  type SnowflakeTestServer,
  startSnowflakeTestServer,
} from './snowflakeTestServer.js';
export { startTestKinesis, type TestKinesis } from './testKinesis.js';
export { localS3Client, startTestS3, type TestS3 } from './testS3.js';
export { startTestServices, type TestServices } from './testServices.js';
