export { LakeDocumentInvalidError, LakeDocumentMissingError, LakeError, RunRefusedError } from './errors.js';
export {
  type BatchFolderCounts,
  type CommittedRun,
  Lake,
  type LakeSummary,
  type Refusal,
  type StreamingCounts,
  type StreamingObject,
} from './lake.js';
export { isInWindow, type LakeWindow } from './lakeWindow.js';
