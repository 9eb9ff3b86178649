import { insightflowProject } from '../vitest.shared.js';

export default insightflowProject('scripts');
