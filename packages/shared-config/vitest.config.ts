import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'shared-config',
    include: ['tests/**/*.test.ts'],
  },
});
