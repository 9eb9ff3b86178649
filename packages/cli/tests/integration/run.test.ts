import { describe, expect, it } from 'vitest';
import { DataMovementResultSchema } from '../../src/index.js';
import { makeTempHome, runCli } from '../helpers/runCli.js';

describe('Command: insightflow run (the whole pipeline, real local services)', () => {
  it('generates, loads, ingests, publishes, syncs and verifies; a second run in the same home verifies again', async () => {
    const home = await makeTempHome();
    const first = await runCli(['--home', home, '--json', 'run', '--scale', '0.002', '--events', '300']);
    expect(first.code, first.stderr).toBe(0);
    const result = DataMovementResultSchema.parse(JSON.parse(first.stdout));
    expect(result.verified).toBe(true);
    expect(result.tables['orders (stream)']).toMatchObject({ rows: 300, expected: 300 });
    // The clean layer holds every batch order and every streamed one, once.
    expect(result.tables['orders (clean)']?.rows).toBe((result.tables.orders?.rows ?? 0) + 300);
    expect(result.tables['order_products_prior (clean)']?.rows).toBe(result.tables.order_products_prior?.rows);
    expect((result.stages as { stage: string }[]).map((s) => s.stage)).toEqual([
      'generate',
      'load',
      'ingest',
      'publish',
      'clean',
      'sync',
      'verify',
    ]);

    const second = await runCli(['--home', home, '--json', 'run', '--scale', '0.002', '--events', '300']);
    expect(second.code, second.stderr).toBe(0);
    const again = DataMovementResultSchema.parse(JSON.parse(second.stdout));
    expect(again.tables.orders?.rows).toBe(result.tables.orders?.rows);
    expect(again.tables['orders (stream)']).toMatchObject({ rows: 300 });
  });
});
