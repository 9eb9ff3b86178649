import { describe, expect, it } from 'vitest';
import { RunManifestSchema } from '../../src/index.js';

const written = {
  version: 1,
  table: 'orders',
  runAt: '2026-12-03T10:00:00.000Z',
  mode: 'stream',
  source: 'duckdb',
  query: 'SELECT 1',
  columns: ['order_id'],
  parts: [],
  rows: 0,
  bytes: 0,
  startedAt: '2026-12-03T10:00:00.000Z',
  finishedAt: '2026-12-03T10:00:01.000Z',
};

describe('Schema: RunManifestSchema', () => {
  it('reads a manifest written before incremental loading as a snapshot without a cursor', () => {
    const manifest = RunManifestSchema.parse(written);
    expect(manifest.kind).toBe('snapshot');
    expect(manifest.cursor).toBeUndefined();
  });

  it('keeps an increment’s cursor window as exact text', () => {
    const cursor = { column: 'order_id', from: '9007199254740993', to: '9223372036854775807' };
    const manifest = RunManifestSchema.parse({ ...written, kind: 'increment', cursor });
    expect(manifest.cursor).toEqual(cursor);
  });

  it('refuses a cursor bound written as a JSON number', () => {
    const cursor = { column: 'order_id', from: null, to: 42 };
    expect(RunManifestSchema.safeParse({ ...written, kind: 'increment', cursor }).success).toBe(false);
  });
});
