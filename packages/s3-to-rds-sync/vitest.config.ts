import { insightflowProject } from '../../vitest.shared.js';

export default insightflowProject('s3-to-rds-sync');
