import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { planGeneration, writeStagedTables } from '@insightflow/instacart-generator';
import { S3ObjectStore } from '@insightflow/object-store';
import { startTestS3 } from '@insightflow/testkit';
import { type Figure, rateFigure, type Suite, timed } from './harness.js';

/**
 * Generator rows/s (all six tables, streamed to the local S3 API server) against DuckDB's native
 * `COPY … TO` of as many rows of the same shape to a gzipped CSV file.
 */
export const generatorSuite: Suite = {
  name: 'generator',
  async run({ scale, log }): Promise<Figure[]> {
    const plan = planGeneration({ scale, seed: 42 });
    const rows = Object.values(plan.rows).reduce((n, r) => n + r, 0);
    const s3 = await startTestS3();
    const dir = await mkdtemp(path.join(tmpdir(), 'insightflow-bench-'));
    try {
      log(`generator: ${rows.toLocaleString('en')} rows at scale ${scale}`);
      const ours = await timed(() =>
        writeStagedTables({ store: new S3ObjectStore(s3.client, 'insightflow-stage'), prefix: 'bench/', plan }),
      );
      const duckdb = await DuckDBInstance.create(':memory:');
      const connection = await duckdb.connect();
      const anchor = await timed(() =>
        connection.run(
          `COPY (SELECT i AS order_id, i % 997 + 1 AS product_id, i % 17 + 1 AS add_to_cart_order, i % 2 AS reordered
                 FROM range(${rows}) t(i)) TO '${path.join(dir, 'anchor.csv.gz')}' (HEADER, COMPRESSION gzip)`,
        ),
      );
      connection.closeSync();
      duckdb.closeSync();
      return [
        rateFigure('generator', 'generate → S3 (6 tables)', rows, ours.seconds, {
          name: 'DuckDB COPY TO csv.gz',
          rows,
          seconds: anchor.seconds,
        }),
      ];
    } finally {
      await s3.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
