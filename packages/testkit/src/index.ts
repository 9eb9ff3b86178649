export { localS3Client, startTestS3, type TestS3 } from './testS3.js';
