import { PutObjectCommand } from '@aws-sdk/client-s3';
import { localS3Client } from '@insightflow/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataMovementResultSchema } from '../../src/index.js';
import { makeTempHome, parseExports, runCli } from '../helpers/runCli.js';

describe('Commands: insightflow generate / load (real S3 API server, DuckDB)', () => {
  let home: string;

  beforeAll(async () => {
    home = await makeTempHome();
    expect((await runCli(['--home', home, 'up'])).code).toBe(0);
  });
  afterAll(async () => {
    if (home) await runCli(['--home', home, 'down']);
  });

  it('loads all six tables with the generator\u2019s counts, then loads 0 rows on a rerun', async () => {
    const generated = await runCli(['--home', home, '--json', 'generate', '--scale', '0.01']);
    expect(generated.code, generated.stderr).toBe(0);
    const generation = DataMovementResultSchema.parse(JSON.parse(generated.stdout));
    expect(Object.keys(generation.tables)).toHaveLength(6);

    const loaded = await runCli(['--home', home, '--json', 'load']);
    expect(loaded.code, loaded.stderr).toBe(0);
    const load = DataMovementResultSchema.parse(JSON.parse(loaded.stdout));
    for (const [table, t] of Object.entries(generation.tables)) expect(load.tables[table]?.rows, table).toBe(t.rows);
    expect(load.rows).toBe(generation.rows);

    const again = DataMovementResultSchema.parse(JSON.parse((await runCli(['--home', home, '--json', 'load'])).stdout));
    expect(again.rows).toBe(0);
    expect(again).toMatchObject({ filesSkipped: 6, filesLoaded: 0 });

    const status = JSON.parse((await runCli(['--home', home, '--json', 'status'])).stdout);
    expect(status.warehouse.orders).toBe(generation.tables.orders?.rows);

    const ingested = await runCli(['--home', home, '--json', 'ingest', '--mode', 'stream', '--batch-size', '100000']);
    expect(ingested.code, ingested.stderr).toBe(0);
    const ingest = DataMovementResultSchema.parse(JSON.parse(ingested.stdout));
    expect(ingest.rows).toBe(generation.rows);
    expect(ingest.tables.order_products_prior?.parts).toBe(
      Math.ceil((generation.tables.order_products_prior?.rows ?? 0) / 100_000),
    );
    const lake = JSON.parse((await runCli(['--home', home, '--json', 'status'])).stdout).lake;
    expect(lake.batch.orders.committedRuns).toBe(1);
  });

  it('exits 3 and names the file and line when a staged file has malformed rows', async () => {
    const env = parseExports((await runCli(['--home', home, 'env'])).stdout);
    const s3 = localS3Client(
      env.S3_ENDPOINT as string,
      {
        credentials: {
          accessKeyId: env.AWS_ACCESS_KEY_ID as string,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
        },
      } as never,
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: 'insightflow-stage',
        Key: 'instacart/aisles.csv',
        Body: 'aisle_id,aisle\n1,fresh fruits\nnot-a-number,"yogurt, greek"\n3,milk\n',
      }),
    );
    s3.destroy();
    const run = await runCli(['--home', home, 'load', '--tables', 'aisles']);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/aisles\s+rejected/);
    expect(run.stdout).toMatch(/line 3 \(aisle_id\)/);
    expect(run.stdout).toMatch(/ON_ERROR=SKIP_FILE/);
  });
});
