import { beforeAll, describe, expect, it, vi } from 'vitest';

describe('Lambda handler: snowflake-loader', () => {
  let handler: (event: unknown) => Promise<unknown>;

  beforeAll(async () => {
    // The handler reads its configuration once, at import (cold start).
    vi.stubEnv('STAGE_BUCKET', 'insightflow-stage');
    vi.stubEnv('WAREHOUSE', 'duckdb');
    ({ handler } = await import('../../src/handler.js'));
  });

  it('refuses an event naming an unknown table, before touching the warehouse', async () => {
    await expect(handler({ tables: ['users'] })).rejects.toThrow(/snowflake-loader event is invalid.*tables/s);
  });

  it('refuses an empty table list', async () => {
    await expect(handler({ tables: [] })).rejects.toThrow(/event is invalid/);
  });
});
