import { insightflowProject } from '../../vitest.shared.js';

export default insightflowProject('shared-config');
