/**
 * Runs one pipeline stage in this process and prints `{"rows": n, "seconds": s, "maxRssBytes": b}`,
 * so the bench can read a stage's peak memory on its own.
 * Usage: tsx bench/childRss.ts <stage> <json-args>
 */
import { S3Client } from '@aws-sdk/client-s3';
import { ingestTables } from '@insightflow/batch-ingest';
import { LOCAL_S3_CREDENTIALS } from '@insightflow/local-services';
import { S3ObjectStore } from '@insightflow/object-store';
import { postgresSync, syncLake } from '@insightflow/s3-to-rds-sync';
import { s3ClientOptions, tableNames } from '@insightflow/shared-config';
import { DuckDbWarehouse } from '@insightflow/warehouse';
import pg from 'pg';

const [stage, rawArgs] = process.argv.slice(2);
const args = JSON.parse(rawArgs ?? '{}') as {
  s3Endpoint: string;
  databaseUrl?: string;
  warehousePath?: string;
  batchSize?: number;
};
const s3 = new S3Client({
  ...s3ClientOptions({ AWS_REGION: 'us-east-1', S3_ENDPOINT: args.s3Endpoint }),
  credentials: LOCAL_S3_CREDENTIALS,
});
const store = new S3ObjectStore(s3, 'insightflow-raw-bucket');
const started = performance.now();
let rows = 0;
if (stage === 'ingest') {
  const warehouse = await DuckDbWarehouse.open({ path: args.warehousePath as string, s3, memoryLimit: '64MB' });
  const result = await ingestTables({ warehouse, store }, tableNames(), {
    runAt: new Date(),
    mode: 'stream',
    batchSize: args.batchSize ?? 1_000_000,
  });
  rows = result.rows;
  await warehouse.close();
} else if (stage === 'sync') {
  const client = new pg.Client({ connectionString: args.databaseUrl });
  await client.connect();
  rows = (await syncLake(postgresSync(client, store), { mode: 'incremental' })).rows;
  await client.end();
}
s3.destroy();
process.stdout.write(
  JSON.stringify({
    rows,
    seconds: (performance.now() - started) / 1000,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  }),
);
