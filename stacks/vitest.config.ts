import { insightflowProject } from '../vitest.shared.js';

export default insightflowProject('stacks', { testTimeout: 600_000, globalSetup: ['tests/globalSetup.ts'] });
