export { LakeDocumentInvalidError, LakeDocumentMissingError, LakeError, RunRefusedError } from './errors.js';
export {
  type BatchFolderCounts,
  type CommittedRun,
  Lake,
  type LakeSummary,
  type Refusal,
  type StreamingObject,
} from './lake.js';
export { isInWindow, type LakeWindow } from './lakeWindow.js';
