import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

/**
 * What every test process (and every process a test starts) runs with: no AWS SDK Node-version
 * warning, and Powertools silent — its Logger and Metrics write to a console of their own, which
 * vitest cannot capture, so a green run would otherwise print their JSON. A test that asserts logs
 * or metrics turns them back on for itself (`vi.stubEnv`) and captures `process.stdout`, as
 * Powertools' own tests do.
 */
export const QUIET_TEST_ENV = {
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
} as const;

/**
 * The settings every workspace's vitest project shares. Tests that talk to the local services
 * start real servers, so their timeouts are generous; timing is never asserted.
 */
export function insightflowProject(name: string, overrides: UserWorkspaceConfig['test'] = {}): UserWorkspaceConfig {
  return defineProject({
    test: {
      name,
      include: ['tests/**/*.test.ts'],
      testTimeout: 120_000,
      hookTimeout: 120_000,
      env: QUIET_TEST_ENV,
      ...overrides,
    },
  });
}
