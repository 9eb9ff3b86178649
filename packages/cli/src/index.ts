export {
  type DataMovementDocument,
  type DataMovementResult,
  DataMovementResultSchema,
  type StatusResult,
  StatusResultSchema,
  TableMovementSchema,
} from './contracts.js';
export { ExitCode } from './exitCodes.js';
export { main } from './main.js';
