import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

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
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      ...overrides,
    },
  });
}
