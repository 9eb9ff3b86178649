export { InvalidFirehoseEventError } from './errors.js';
export {
  FIREHOSE_RESPONSE_LIMIT,
  type FirehoseInputRecord,
  type FirehoseOutputRecord,
  type FirehoseTransformationEvent,
  type FirehoseTransformationResponse,
  rowLine,
  type StreamTarget,
  streamTarget,
  type TransformSummary,
  transformFirehoseEvent,
  transformRecords,
} from './transformRecords.js';
