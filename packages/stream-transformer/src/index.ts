export { InvalidFirehoseEventError } from './errors.js';
export {
  FIREHOSE_RESPONSE_LIMIT,
  type FirehoseInputRecord,
  type FirehoseOutputRecord,
  orderRowLine,
  type TransformSummary,
  transformRecords,
} from './transformRecords.js';
