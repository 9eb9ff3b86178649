import { insightflowProject } from '../../vitest.shared.js';

export default insightflowProject('postgres-destination');
