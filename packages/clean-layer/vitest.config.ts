import { insightflowProject } from '../../vitest.shared.js';

export default insightflowProject('clean-layer');
