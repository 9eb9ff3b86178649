export { InvalidLoadEventError } from './errors.js';
export { type LoadSummary, loadStagedFiles, type StageLocation } from './loadStagedFiles.js';
